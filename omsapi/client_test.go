package omsapi

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/secret"
)

// transports builds each client against the simulator.
func transports(t *testing.T, sim *omssim.TestServer, akSecret, password string) map[string]Transport {
	t.Helper()
	out := map[string]Transport{}
	for name, sig := range map[string]string{"cloud v3": SignatureV3, "cloud v1": SignatureV1} {
		tr, err := NewCloud(CloudOptions{Region: "cn-hangzhou", Endpoint: sim.URL, AccessKeyID: omssim.DemoAccessKeyID,
			AccessKeySecret: secret.New(akSecret), Signature: sig})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = tr
	}
	op, err := NewOnPrem(OnPremOptions{URL: sim.URL, Username: omssim.DemoUser, Password: secret.New(password)})
	if err != nil {
		t.Fatal(err)
	}
	out["onprem"] = op
	return out
}

func TestClientsAgainstTheSimulator(t *testing.T) {
	sim, ids := newSim(t, 5, 3)
	digests := map[string]bool{}
	for name, tr := range transports(t, sim, omssim.DemoAccessKeySecret, omssim.DemoPassword) {
		t.Run(name, func(t *testing.T) {
			api, err := New(Options{Transport: tr, Source: testSource, QPS: 100, MaxInFlight: 2,
				Timeout: 5 * time.Second, Retry: RetryPolicy{MaxAttempts: 1}})
			if err != nil {
				t.Fatal(err)
			}
			s, err := api.Fetch(t.Context(), ids[0])
			if err != nil {
				t.Fatalf("describe: %v", err)
			}
			if s.ID() != ids[0] {
				t.Errorf("described %s, want %s", s.ID(), ids[0])
			}
			digests[s.Digest()] = true
			pg, err := api.List(t.Context(), oms.ListQuery{PageSize: 2, Statuses: []string{"RUNNING", "INIT", "FINISHED", "FAILED"}}, 1)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if pg.TotalCount < 1 || len(pg.Projects) > 2 {
				t.Errorf("page: %d projects of %d, want at most 2 of at least 1", len(pg.Projects), pg.TotalCount)
			}
			if err := api.Ready(); err != nil {
				t.Errorf("ready: %v", err)
			}
			if got := api.Stats().Calls; got[ActionDescribeProject] != 1 || got[ActionListProjects] != 1 {
				t.Errorf("calls %v, want one of each", got)
			}
		})
	}
	if len(digests) != 1 {
		t.Errorf("the clients saw %d different snapshots of one state, want 1 (both spellings canonicalise alike)", len(digests))
	}
}

func TestWrongCredentialsArePermanentAndNeverLogged(t *testing.T) {
	const wrongSecret = "wrong-secret-0123456789"
	const wrongPassword = "wrong-password-0123456789"
	sim, ids := newSim(t, 2, 3)
	for name, tr := range transports(t, sim, wrongSecret, wrongPassword) {
		t.Run(name, func(t *testing.T) {
			var logs proctest.Buffer
			red := &secret.Redactor{}
			red.Add(secret.New(wrongSecret), secret.New(wrongPassword))
			api, err := New(Options{Transport: tr, Source: testSource, QPS: 100, MaxInFlight: 2,
				Timeout: 5 * time.Second, Retry: RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond},
				Logger: logs.Logger(), Redactor: red})
			if err != nil {
				t.Fatal(err)
			}
			_, err = api.Fetch(t.Context(), ids[0])
			if !oms.IsPermanent(err) || !oms.IsRefused(err) {
				t.Fatalf("error %v: want a permanent error that refuses the account (cloud and on-premise alike)", err)
			}
			if n := api.Stats().Calls[ActionDescribeProject]; n != 1 {
				t.Errorf("%d requests, want 1: a permanent error is not retried", n)
			}
			if api.Ready() == nil {
				t.Error("ready after a permanent failure")
			}
			_, _ = api.Fetch(t.Context(), ids[1])
			out := logs.String()
			if n := strings.Count(out, "OMS refuses"); n != 1 {
				t.Errorf("the permanent failure was logged %d times, want once:\n%s", n, out)
			}
			for _, s := range []string{wrongSecret, wrongPassword, omssim.DemoAccessKeySecret, omssim.DemoPassword} {
				if strings.Contains(out, s) || strings.Contains(err.Error(), s) || strings.Contains(api.Ready().Error(), s) {
					t.Errorf("a secret appears in the logs or errors:\n%s\n%v", out, err)
				}
			}
		})
	}
}

func TestDefaultCredentialChainWithoutCredentialsIsPermanent(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("ALIBABA_CLOUD_PROFILE", "")
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("HOME", t.TempDir())
	sim, ids := newSim(t, 1, 3)
	tr, err := NewCloud(CloudOptions{Region: "cn-hangzhou", Endpoint: sim.URL})
	if err != nil {
		t.Fatal(err)
	}
	api, err := New(Options{Transport: tr, Source: testSource, QPS: 100, MaxInFlight: 1, Timeout: 5 * time.Second,
		Retry: RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.Fetch(t.Context(), ids[0])
	if classify(err) != failPermanent || api.Ready() == nil || !oms.IsRefused(err) {
		t.Errorf("error %v (ready %v): want a permanent credentials error that refuses the account", err, api.Ready())
	}
	if n := sim.State().Requests; n != 0 {
		t.Errorf("%d requests reached OMS without credentials", n)
	}
}

func TestEnvironmentCredentialsFromTheDefaultChain(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", omssim.DemoAccessKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", omssim.DemoAccessKeySecret)
	sim, ids := newSim(t, 1, 3)
	tr, err := NewCloud(CloudOptions{Region: "cn-hangzhou", Endpoint: sim.URL})
	if err != nil {
		t.Fatal(err)
	}
	api, err := New(Options{Transport: tr, Source: testSource, QPS: 100, MaxInFlight: 1, Timeout: 5 * time.Second,
		Retry: RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.Fetch(t.Context(), ids[0]); err != nil {
		t.Errorf("with credentials in the environment: %v", err)
	}
}

// An answer larger than the transport's bound fails the poll with its own
// error code, once: the next try would be as large, so it is not retried,
// and it says nothing of the credentials, so readiness holds.
func TestAnAnswerOverTheLimitFailsOnceAndIsNotRetried(t *testing.T) {
	sim, ids := newSim(t, 2, 3)
	const limit = 1024 // the simulator's answers are several KB
	cloud, err := NewCloud(CloudOptions{Region: "cn-hangzhou", Endpoint: sim.URL, AccessKeyID: omssim.DemoAccessKeyID,
		AccessKeySecret: secret.New(omssim.DemoAccessKeySecret), MaxAnswer: limit})
	if err != nil {
		t.Fatal(err)
	}
	onprem, err := NewOnPrem(OnPremOptions{URL: sim.URL, Username: omssim.DemoUser, Password: secret.New(omssim.DemoPassword), MaxAnswer: limit})
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range map[string]Transport{"cloud": cloud, "onprem": onprem} {
		t.Run(name, func(t *testing.T) {
			api, err := New(Options{Transport: tr, Source: testSource, QPS: 100, MaxInFlight: 2, Timeout: 5 * time.Second,
				Retry: RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = api.Fetch(t.Context(), ids[0])
			var big *AnswerTooLargeError
			if !errors.As(err, &big) || big.Limit != limit {
				t.Fatalf("error %v: want an AnswerTooLargeError of %d bytes", err, limit)
			}
			if !strings.Contains(err.Error(), "oms.max_answer_size") {
				t.Errorf("the error does not say what to change: %v", err)
			}
			if code := oms.ErrorCode(err); code != "AnswerTooLarge" {
				t.Errorf("error code %q, want AnswerTooLarge", code)
			}
			if n := api.Stats().Calls[ActionDescribeProject]; n != 1 {
				t.Errorf("%d requests, want 1: a too large answer is not retried", n)
			}
			if err := api.Ready(); err != nil {
				t.Errorf("not ready after a too large answer: %v", err)
			}
		})
	}
	// The default bound (16 MiB) takes the same answers.
	tr, err := NewCloud(CloudOptions{Region: "cn-hangzhou", Endpoint: sim.URL, AccessKeyID: omssim.DemoAccessKeyID,
		AccessKeySecret: secret.New(omssim.DemoAccessKeySecret)})
	if err != nil {
		t.Fatal(err)
	}
	api, err := New(Options{Transport: tr, Source: testSource, QPS: 100, MaxInFlight: 2, Timeout: 5 * time.Second, Retry: RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.Fetch(t.Context(), ids[0]); err != nil {
		t.Errorf("default bound: %v", err)
	}
}
