package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/sinks"
)

// simRequests records the simulator's requests (its slog.Handler).
type simRequests struct{ proctest.SimLog }

// since returns, per principal, the projects described after t.
func (s *simRequests) since(t time.Time) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, q := range s.All() {
		if q.Action == omssim.ActionDescribeProject && q.Project != "" && q.At.After(t) {
			if out[q.Principal] == nil {
				out[q.Principal] = map[string]bool{}
			}
			out[q.Principal][q.Project] = true
		}
	}
	return out
}

// startSimulator serves a generated fleet whose clock runs every tick,
// accepting the given access key ids (each with secret "<id>-secret").
func startTestSimulator(t *testing.T, projects int, tick time.Duration, log slog.Handler, keyIDs ...string) *httptest.Server {
	t.Helper()
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 7, Projects: projects, Step: tick})
	if err != nil {
		t.Fatal(err)
	}
	var keys []omssim.AccessKey
	for _, id := range keyIDs {
		keys = append(keys, omssim.AccessKey{ID: id, Secret: id + "-secret"})
	}
	o := omssim.Options{Scenario: g, Seed: 7, Tick: tick, AccessKeys: keys}
	if log != nil {
		o.Logger = slog.New(log)
	}
	_, hs := proctest.StartSim(t, o)
	return hs
}

// runConfigFor writes a run configuration for replica id against the
// simulator and the NATS server; extra is appended (YAML) after the nats
// section's url, so it may go on with nats keys (targets).
func runConfigFor(t *testing.T, dir, id, simURL, natsURL, extra string) string {
	t.Helper()
	path := filepath.Join(dir, id+".yaml")
	proctest.WriteFile(t, path, `oms:
  mode: cloud
  region: cn-hangzhou
  endpoint: %s
  credentials: static
  access_key_id: %s
  access_key_secret: %s-secret
  retries:
    max_attempts: 2
discovery:
  list:
    enabled: true
    refresh: "@every 2s"
  mode: describe_always
schedule:
  default: "@every 1s"
  jitter: 0s
store:
  dir: %s
http:
  listen: 127.0.0.1:0
nats:
  url: %s
%s`, simURL, id, id, filepath.Join(dir, "data-"+id), natsURL, extra)
	return path
}

// streamIDs reads every message of a stream: event id -> copies.
func streamIDs(t *testing.T, js jetstream.JetStream, stream string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := proctest.StreamMsgs(ctx, js, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	out := map[string]int{}
	for _, m := range msgs {
		out[m.Header.Get("Nats-Msg-Id")]++
	}
	return out
}

// Two replicas on one NATS share the projects: while both run, each
// project is described by exactly one of them; kill one (SIGKILL, no
// handover) and the other holds every lease within the TTL and polls
// every project; every event of the audit stream reaches the target, and
// none twice.
func TestRunHATwoReplicas(t *testing.T) {
	reqs := &simRequests{}
	sim := startTestSimulator(t, 12, 500*time.Millisecond, reqs, "replica-a", "replica-b")
	ns, js := proctest.StartNATS(t)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "DELIVERED", Subjects: []string{"oms.events.>"},
		Duplicates: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	core, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	var seenMu sync.Mutex
	seen := map[string][]time.Time{}
	if _, err := core.Subscribe("oms.events.>", func(m *nats.Msg) {
		seenMu.Lock()
		id := m.Header.Get("Nats-Msg-Id")
		seen[id] = append(seen[id], time.Now())
		seenMu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	const ttl, renew = 4 * time.Second, time.Second
	dir := t.TempDir()
	extra := fmt.Sprintf(`  targets:
    delivered:
      jetstream: true
      stream: DELIVERED
ha:
  enabled: true
  lease_ttl: %s
  renew_interval: %s
rules:
  default_to: [delivered]
  group_wait: 0s
`, ttl, renew)
	var reps []*proctest.Proc
	var addrs []string
	for _, id := range []string{"replica-a", "replica-b"} {
		cfg := runConfigFor(t, dir, id, sim.URL, ns.ClientURL(), strings.Replace(extra, "ha:\n", "ha:\n  replica_id: "+id+"\n", 1))
		c := startChild(t, id, dir, "run", "--config", cfg, "--log-format", "json", "--shutdown-timeout", "10s")
		reps = append(reps, c)
		addrs = append(addrs, c.HTTPAddr(addrTimeout))
	}
	held := func(i int) float64 {
		_, body := proctest.Get(addrs[i], "/metrics")
		v, _ := proctest.MetricValue(body, "omswatch_leases_held")
		return v
	}
	var settled time.Time
	proctest.Eventually(t, 60*time.Second, "both replicas holding a share of the 256 leases", func() bool {
		a, b := held(0), held(1)
		if a > 0 && b > 0 && a+b == 256 {
			if settled.IsZero() {
				settled = time.Now()
			}
			return time.Since(settled) > 2*time.Second
		}
		settled = time.Time{}
		return false
	})
	window := time.Now()
	time.Sleep(4 * time.Second)
	by := reqs.since(window)
	a, b := by[reps[0].Name], by[reps[1].Name]
	if len(a) == 0 || len(b) == 0 {
		t.Fatalf("described by a: %d projects, by b: %d; want both polling", len(a), len(b))
	}
	for p := range a {
		if b[p] {
			t.Errorf("project %s described by both replicas within 4s of steady state", p)
		}
	}
	t.Logf("steady state: replica-a polls %d projects, replica-b %d", len(a), len(b))

	// Kill the replica that delivers the outbox: the other must take over
	// both the polls and the delivery.
	victim, survivor := 0, 1
	if !delivering(reps[0]) {
		victim, survivor = 1, 0
	}
	reps[victim].Signal(syscall.SIGKILL)
	killed := time.Now()
	reps[victim].Wait(10 * time.Second)
	proctest.Eventually(t, 3*ttl, "the survivor holding every lease", func() bool { return held(survivor) == 256 })
	took := time.Since(killed)
	t.Logf("%s took every lease %s after %s was killed (ttl %s)", reps[survivor].Name, took.Round(time.Millisecond), reps[victim].Name, ttl)
	if took > ttl+2*renew+time.Second {
		t.Errorf("takeover took %s; want within the lease TTL %s (plus a renewal round)", took, ttl)
	}
	after := time.Now()
	victimPolled := by[reps[victim].Name]
	proctest.Eventually(t, 20*time.Second, "the survivor describing the projects the killed replica polled", func() bool {
		got := reqs.since(after)[reps[survivor].Name]
		for p := range victimPolled {
			if !got[p] && stillPolled(reqs, p, window) {
				return false
			}
		}
		return true
	})

	// Every event of the audit trail reaches the target once: the target
	// stream dedups by id, and the core subscriber counts what the
	// replicas published.
	proctest.Eventually(t, 90*time.Second, "every audited event delivered", func() bool {
		audit := streamIDs(t, js, sinks.DefaultStream)
		got := streamIDs(t, js, "DELIVERED")
		for id := range audit {
			if got[id] == 0 {
				return false
			}
		}
		return len(audit) > 0
	})
	for id, n := range streamIDs(t, js, sinks.DefaultStream) {
		if n != 1 {
			t.Errorf("event %s is in the audit stream %d times", id, n)
		}
	}
	// A copy published again is only possible for what the killed
	// replica had sent but not acknowledged when it died; the target
	// stream drops it by id. Any other copy means two deliverers.
	seenMu.Lock()
	inFlight, dups := 0, 0
	for id, at := range seen {
		if len(at) < 2 {
			continue
		}
		if at[0].After(killed.Add(-2*time.Second)) && at[0].Before(killed) {
			inFlight++
			continue
		}
		dups++
		t.Errorf("event %s published %d times, first at %s (kill at %s)", id, len(at), at[0].Format(time.StampMilli), killed.Format(time.StampMilli))
	}
	total := len(seen)
	seenMu.Unlock()
	t.Logf("%d events delivered; republished: %d in flight at the kill, %d otherwise", total, inFlight, dups)
}

// delivering reports whether the replica's log says it delivers the
// outbox now.
func delivering(c *proctest.Proc) bool {
	on := false
	for _, l := range c.LogLines() {
		switch l["msg"] {
		case "this replica delivers the outbox now":
			on = true
		case "this replica no longer delivers the outbox", "the dispatcher lease was lost; another replica delivers now":
			on = false
		}
	}
	return on
}

// stillPolled reports whether project p was described after t by anyone
// (a project that reached RELEASED is polled no more).
func stillPolled(reqs *simRequests, p string, t time.Time) bool {
	for _, set := range reqs.since(t.Add(2 * time.Second)) {
		if set[p] {
			return true
		}
	}
	return false
}
