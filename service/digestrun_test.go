package service

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/sinks"
)

// run's digester posts on the cron: with digest.cron "@every 1s" a Slack
// channel target gets the digest as a message of its own (not a thread
// reply) within seconds, again at the next fires, the whole fleet of the
// simulator (4 projects) in it once polled; each is counted.
func TestRunPostsTheDigestOnItsCron(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	rec := &slackRecorder{}
	slackSrv := httptest.NewServer(rec)
	t.Cleanup(slackSrv.Close)
	srv, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	cfg, err := config.Load([]byte("oms: {mode: sim}\nnats:\n  url: "+srv.ClientURL()+"\nincidents:\n  enabled: true\n"+
		"slack:\n  token: xoxb-test\n  api_url: "+slackSrv.URL+"/api/\n  rate_limit: 1000/s\n  targets:\n    dba: {channel: \"#dba\"}\n"+
		"rules:\n  group_wait: 0s\n  default_to: []\ndigest:\n  to: [dba]\n  cron: \"@every 1s\"\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	s := &Service{root: log, log: log, js: js, nc: js.Conn(), base: &app{}, o: Options{SimProjects: 4, SimTick: 200 * time.Millisecond}}
	defer s.base.close() // the simulator, after the generation
	s.metrics = newMetrics("test", s.state)
	g, err := s.start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.stop(ctx)
	digests := func() (n int, last string) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, p := range rec.posts {
			if p.method == "chat.postMessage" && strings.HasPrefix(p.text, "omswatch digest:") {
				if p.threadTS != "" {
					t.Errorf("a digest posted as a thread reply: %+v", p)
				}
				n, last = n+1, p.text
			}
		}
		return n, last
	}
	proctest.Eventually(t, 30*time.Second, "two digests, the last of the whole fleet", func() bool {
		n, last := digests()
		return n >= 2 && strings.HasPrefix(last, "omswatch digest: 4 projects")
	})
	if ok := digestsCounted(t, s.metrics, "ok"); ok < 2 {
		t.Errorf("omswatch_digests_total{result=ok} = %v, want at least 2", ok)
	}
}

// A digest is made by the replica that delivers the outbox only; one that
// cannot be made (here: no snapshot bucket) is counted as failed and the
// next fire tries again, the service going on; and two replicas that both
// make the digest of one fire store it once.
func TestDigesterOwnershipAndFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	srv, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	cfg, err := config.Load([]byte("oms: {mode: sim}\nnats:\n  url: "+srv.ClientURL()+"\nincidents: {enabled: true}\ndigest:\n  to: [log]\n  cron: \"@every 1s\"\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := sinks.NewOutbox(ctx, js, sinks.OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next, err := cfg.Digest.Next()
	if err != nil {
		t.Fatal(err)
	}
	var okN, failedN atomic.Int64
	newDigester := func(owns bool) *digester {
		return &digester{cfg: cfg, next: next, source: "oms://test", js: js, outbox: outbox, owns: func() bool { return owns },
			counted: func(ok bool) {
				if ok {
					okN.Add(1)
				} else {
					failedN.Add(1)
				}
			}, log: slog.New(slog.DiscardHandler)}
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	for _, owns := range []bool{false, true} {
		go func() { newDigester(owns).run(rctx); done <- struct{}{} }()
	}
	proctest.Eventually(t, 10*time.Second, "two failed digests", func() bool { return failedN.Load() >= 2 })
	stop()
	<-done
	<-done
	if okN.Load() != 0 {
		t.Errorf("%d digests made without a snapshot bucket", okN.Load())
	}
	if n := storedDigests(t, js); n != 0 {
		t.Errorf("%d digests stored without a fleet to read", n)
	}
	// The store exists now: two replicas posting the same fire store one.
	seedDigestStore(ctx, t, js, cfg)
	fire := digestNow
	for range 2 {
		if err := newDigester(true).post(ctx, fire, fire.Add(-digestDay)); err != nil {
			t.Fatal(err)
		}
	}
	if n := storedDigests(t, js); n != 1 {
		t.Errorf("%d digests stored for one fire, want 1", n)
	}
}

// storedDigests counts the oms.watch.digest events in the audit trail.
func storedDigests(t *testing.T, js jetstream.JetStream) int {
	t.Helper()
	n := 0
	for _, s := range storedEvents(t, js) {
		if s.e.Type != event.TypeWatchDigest {
			continue
		}
		n++
		// What a NATS or webhook target gets: a valid CloudEvent whose
		// data reads back as the digest, for digest.to only.
		if err := s.e.Validate(); err != nil || s.e.Subject != s.e.Source || strings.Join(s.targets, ",") != "log" {
			t.Errorf("stored digest %+v to %v: %v", s.e, s.targets, err)
		}
		if d, err := event.DigestOf(s.e.Data); err != nil || d.Projects != len(digestProjects) || d.OpenCount != 2 {
			t.Errorf("stored digest reads back as %+v, %v", d, err)
		}
	}
	return n
}

// digestsCounted reads omswatch_digests_total{result}.
func digestsCounted(t *testing.T, m *metrics, result string) float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "omswatch_digests_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return s.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// The digest's schedule is read in digest.timezone, and the first digest
// after a start looks back to the schedule's previous fire: a day for a
// daily digest, the Friday for a Monday one of a weekdays schedule.
func TestDigestScheduleAndPreviousFire(t *testing.T) {
	for _, tc := range []struct {
		name, cron, tz    string
		after, fire, prev time.Time
	}{
		{"daily in Shanghai", "0 9 * * *", "Asia/Shanghai", time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC),
			time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC), time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)},
		{"weekdays, on a Monday", "0 9 * * 1-5", "UTC", time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC),
			time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)},
		{"CRON_TZ wins", "CRON_TZ=Asia/Tokyo 0 9 * * *", "Asia/Shanghai", time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC),
			time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
		{"every second", "@every 1s", "UTC", time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC),
			time.Date(2026, 12, 7, 8, 0, 1, 0, time.UTC), time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next, err := config.Digest{Cron: tc.cron, Timezone: tc.tz}.Next()
			if err != nil {
				t.Fatal(err)
			}
			fire := next(tc.after)
			if !fire.Equal(tc.fire) {
				t.Fatalf("fires at %s, want %s", fire.UTC(), tc.fire)
			}
			if prev := previousFire(next, fire); !prev.Equal(tc.prev) {
				t.Errorf("previous fire %s, want %s", prev.UTC(), tc.prev)
			}
		})
	}
}
