package omssim

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/omswatch/omswatch/oms"
)

// These tests hold the simulator to what the oms package reads: the same
// state in both spellings is one canonical snapshot, and every fault is
// classified as the poller will need it.

func TestSpellingsGiveOneSnapshot(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 12, Projects: 6})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	ts.Advance(24)
	for _, id := range g.IDs() {
		cloud, _ := responseFor(g, ts.Moment(), id, oms.Cloud, "r1")
		res, err := onpremCall(t, nil, ts.URL, ActionDescribeProject, `{"id":"`+id+`"}`, DemoUser, DemoPassword)
		if err != nil {
			t.Fatal(err)
		}
		a, err := oms.ParseSnapshot(cloud)
		if err != nil {
			t.Fatal(err)
		}
		b, err := oms.ParseSnapshot(res.body)
		if err != nil {
			t.Fatal(err)
		}
		if a.Digest() != b.Digest() {
			t.Fatalf("%s: cloud and on-premise answers canonicalise differently", id)
		}
	}
}

func TestFaultsAsTheOmsPackageSeesThem(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 12, Projects: 1})
	ts := StartTest(t, Options{Scenario: g, ManualClock: true})
	body := `{"id":"` + g.IDs()[0] + `"}`
	cases := []struct {
		spec  string
		check func(error) bool
		what  string
	}{
		{"http500#1", oms.IsRetryable, "retryable"},
		{"http503#1", oms.IsRetryable, "retryable"},
		{"throttle#1", oms.IsThrottled, "throttled"},
		{"notfound#1", oms.IsProjectNotFound, "project not found"},
		{"business#1", func(err error) bool { var e *oms.APIError; return errors.As(err, &e) }, "an API error"},
		{"truncated#1", func(err error) bool { var e *oms.MalformedError; return errors.As(err, &e) }, "malformed"},
		{"invalid#1", func(err error) bool { var e *oms.MalformedError; return errors.As(err, &e) }, "malformed"},
	}
	for _, tc := range cases {
		fs, _ := ParseFaults(tc.spec)
		if err := ts.SetFaults(fs); err != nil {
			t.Fatal(err)
		}
		res, err := onpremCall(t, nil, ts.URL, ActionDescribeProject, body, DemoUser, DemoPassword)
		if err != nil {
			t.Fatal(err)
		}
		_, derr := oms.DecodeEnvelope(res.status, res.body)
		if derr == nil || !tc.check(derr) {
			t.Errorf("%s: oms reads %v, want %s", tc.spec, derr, tc.what)
		}
	}
	// A wrong signature or password is permanent: retrying cannot help.
	req := captureSDK(t, ts.Endpoint, false, g.IDs()[0])
	req.body = []byte("Id=np_other")
	status, gwBody := req.send(t, ts.URL)
	raw, _ := json.Marshal(gwBody)
	res, _ := onpremCall(t, nil, ts.URL, ActionDescribeProject, body, DemoUser, "wrong")
	for _, r := range []struct {
		status int
		body   []byte
	}{{status, raw}, {res.status, res.body}} {
		if _, err := oms.DecodeEnvelope(r.status, r.body); !oms.IsPermanent(err) {
			t.Errorf("HTTP %d %s: oms reads %v, want permanent", r.status, r.body, err)
		}
	}
}
