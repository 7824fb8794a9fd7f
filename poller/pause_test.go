package poller

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/secret"
)

// rotation is a Transport signing with the simulator's key until rotate,
// then with a secret OMS no longer accepts (a key rotated under a running
// omswatch), until restore.
type rotation struct {
	good, bad omsapi.Transport
	rotated   atomic.Bool
}

func newRotation(t testing.TB, sim *omssim.TestServer) *rotation {
	t.Helper()
	mk := func(key string) omsapi.Transport {
		tr, err := omsapi.NewCloud(omsapi.CloudOptions{Region: "cn-hangzhou", Endpoint: sim.URL, AccessKeyID: omssim.DemoAccessKeyID,
			AccessKeySecret: secret.New(key), MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	return &rotation{good: mk(omssim.DemoAccessKeySecret), bad: mk("the-secret-before-the-rotation")}
}

func (r *rotation) Do(ctx context.Context, action string, params map[string]any) (*omsapi.Response, error) {
	if r.rotated.Load() {
		return r.bad.Do(ctx, action, params)
	}
	return r.good.Do(ctx, action, params)
}

// rotationAPI is a client over r with the configuration's retries (short
// waits).
func rotationAPI(t testing.TB, r *rotation) *omsapi.Client {
	t.Helper()
	api, err := omsapi.New(omsapi.Options{Transport: r, Source: testSource, QPS: 1e6, MaxInFlight: 8, Timeout: time.Minute,
		Retry: omsapi.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func requests(api *omsapi.Client) int64 {
	c := api.Stats().Calls
	return c[omsapi.ActionDescribeProject] + c[omsapi.ActionListProjects]
}

// accountEvents are the account-level poller events of the changes, by
// type; it fails the test on a project-level one.
func accountEvents(t *testing.T, cs []Change) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, c := range cs {
		for _, e := range c.Events {
			if e.Data.Fields["scope"] != ScopeAccount || e.Subject != testSource || e.Data.Project.ID != "" || c.Project != testSource {
				t.Errorf("a project's event %s %s %v, want only the account's", e.Type, e.Subject, e.Data.Fields)
				continue
			}
			if err := e.Validate(); err != nil {
				t.Errorf("event %s: %v", e.Type, err)
			}
			out[e.Type]++
		}
	}
	return out
}

// After a key rotation OMS refuses every request of the account: polling
// pauses with one log line and one account-level oms.poll.failing,
// readiness says why, and one request probes every PauseProbe until OMS
// accepts the account again, when polling resumes with one
// oms.poll.recovered. Before: every cycle sent one refused request per
// project (199 at 200 projects), and 198 oms.poll.failing came at the
// third.
func TestRefusedCredentialsPauseTheAccount(t *testing.T) {
	for _, mode := range []Mode{TwoTier, DescribeAlways} {
		t.Run(string(mode), func(t *testing.T) {
			sim, _ := newSim(t, 200, 9)
			rot := newRotation(t, sim)
			api := rotationAPI(t, rot)
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			now := t0
			h, logs := &changes{}, &proctest.Buffer{}
			p := newPoller(t, api, newMemStore(), h, func(o *Options) {
				o.List, o.Mode, o.Now, o.Logger = &oms.ListQuery{}, mode, func() time.Time { return now }, logs.Logger()
			})
			if s := firstSight(t, p); s.Failed != 0 {
				t.Fatalf("first sight: %+v", s)
			}
			h.take()

			rot.rotated.Store(true)
			before := requests(api)
			var perProbe []int64
			for c := 1; c <= 40; c++ { // 20 minutes of 30s cycles
				now = now.Add(30 * time.Second)
				r0 := requests(api)
				cycleAll(t, p)
				if c > 1 && c%10 == 1 {
					perProbe = append(perProbe, requests(api)-r0)
				}
			}
			first := requests(api) - before - sum(perProbe)
			got := accountEvents(t, h.take())
			t.Logf("FIGURE key rotation, %s, 200 projects: %d requests in the first cycle, then %v a probe (every 5 min), %d refused in 20 min; events %v",
				mode, first, perProbe, requests(api)-before, got)
			if limit := int64(p.opts.Workers); first < 1 || first > limit {
				t.Errorf("%d requests in the cycle OMS refused, want 1 to %d (the polls in flight)", first, limit)
			}
			if len(perProbe) != 3 || sum(perProbe) != 3 {
				t.Errorf("requests per probe interval %v, want one every 5 min", perProbe)
			}
			if got[event.TypePollFailing] != 1 || len(got) != 1 {
				t.Errorf("events %v, want one account-level oms.poll.failing", got)
			}
			out := logs.String()
			if n := strings.Count(out, "OMS refuses the account"); n != 1 || strings.Contains(out, "poll failed") {
				t.Errorf("%d pause lines (want 1), or a project's failure logged:\n%s", n, out)
			}
			if err := p.Ready(); err == nil || !strings.Contains(err.Error(), "paused") || !strings.Contains(err.Error(), oms.CodeSignatureDoesNotMatch) {
				t.Errorf("Ready() = %v, want the pause and its reason", err)
			}
			if !p.Paused() {
				t.Error("not paused")
			}

			rot.rotated.Store(false) // the key is accepted again (or a reload brings the new one)
			now = now.Add(5 * time.Minute)
			s := cycleAll(t, p)
			got = accountEvents(t, h.take())
			if p.Paused() || p.Ready() != nil || got[event.TypePollRecovered] != 1 || s.Polled == 0 {
				t.Errorf("after the key is accepted: paused %v, ready %v, events %v, %+v; want polling resumed with oms.poll.recovered",
					p.Paused(), p.Ready(), got, s)
			}
		})
	}
}

// `omswatch once` with a refused key fails (exit 1), polls nothing more
// once refused, and says why, in its summary rather than as an event.
func TestARefusedOnceRunSaysWhy(t *testing.T) {
	sim, ids := newSim(t, 50, 9)
	rot := newRotation(t, sim)
	rot.rotated.Store(true)
	api := rotationAPI(t, rot)
	h := &changes{}
	p := newPoller(t, api, newMemStore(), h, func(o *Options) { o.Projects, o.Lister, o.Workers = ids, nil, 4 })
	s, err := p.RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !oms.IsRefused(s.Paused) || s.Failed < 1 || s.Failed > 4 || requests(api) > 4 {
		t.Errorf("%+v after %d requests: want it paused after the polls in flight", s, requests(api))
	}
	if cs := h.take(); len(cs) != 0 {
		t.Errorf("handed off %+v, want nothing", cs)
	}
}

// leasesBut holds every lease but the one over key: a replica of which
// another holds that lease.
type leasesBut struct{ key string }

func (l leasesBut) Owns(key string) bool { return key != l.key }
func (l leasesBut) Hold(ctx context.Context, key string) (context.Context, func(), bool) {
	return ctx, func() {}, key != l.key
}

// With ha every replica pauses, and the replica that holds the lease over
// the source's name tells: one event for the account, not one per replica.
func TestOneReplicaTellsThePause(t *testing.T) {
	sim, ids := newSim(t, 5, 9)
	for _, tc := range []struct {
		name   string
		leases Leases
		want   int
	}{{"holds the source's lease", leasesBut{key: "none"}, 1}, {"another replica holds it", leasesBut{key: testSource}, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			rot := newRotation(t, sim)
			rot.rotated.Store(true)
			h := &changes{}
			p := newPoller(t, rotationAPI(t, rot), newMemStore(), h, func(o *Options) { o.Projects, o.Leases = ids, tc.leases })
			cycleAll(t, p)
			if got := accountEvents(t, h.take())[event.TypePollFailing]; !p.Paused() || got != tc.want {
				t.Errorf("paused %v, %d oms.poll.failing, want paused and %d", p.Paused(), got, tc.want)
			}
		})
	}
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}
