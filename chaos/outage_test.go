package chaos

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
)

// readiness samples a replica's /readyz every 200ms.
type readiness struct {
	mu      sync.Mutex
	samples []readySample
	stop    chan struct{}
	done    chan struct{}
}

type readySample struct {
	at    time.Time
	ready bool
}

func watchReadiness(addr string) *readiness {
	r := &readiness{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			code, _ := proctest.Get(addr, "/readyz")
			r.mu.Lock()
			r.samples = append(r.samples, readySample{time.Now(), code == 200})
			r.mu.Unlock()
			select {
			case <-r.stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return r
}

func (r *readiness) close() { close(r.stop); <-r.done }

// between returns whether a not-ready sample was taken in [from, to], and
// the first ready sample after it (zero if none).
func (r *readiness) between(from, to time.Time) (sawNotReady bool, readyAgain time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.samples {
		if s.at.Before(from) {
			continue
		}
		if !s.ready && !s.at.After(to) {
			sawNotReady = true
		}
		if s.ready && sawNotReady && readyAgain.IsZero() {
			readyAgain = s.at
		}
	}
	return sawNotReady, readyAgain
}

// Scenario 2, NATS outage: the external nats-server stops (SIGTERM) right
// after the simulator's clock moved, stays down for the outage, and comes
// back on the same port with the same store. Nothing is lost, delivery
// resumes without help, and /readyz goes false during the outage and true
// after it.
func TestNATSOutage(t *testing.T) {
	projects, ticks := size(8, 20), size(12, 26)
	outage := size(5*time.Second, 60*time.Second)
	outageTick := ticks / 2
	w := newWorld(t, projects, ticks, 21, "chaos-outage", "chaos-outage-secret")
	ns := newNATS(t, natsOptions{name: "outage"})
	ns.start()
	_, js := connect(t, ns.url(), "", "")
	createDelivered(t, js, 1)
	slack := newFakeSlack(t)
	hook := newFakeWebhook(t, "outage-hook-secret")
	dir := t.TempDir()
	// No core NATS target here: a core subscriber that reconnects after
	// omswatch did misses what was published in between, by design.
	cfg := w.writeConfig(dir, cfgOptions{natsURL: ns.url(), slack: slack, slackToken: "xoxb-chaos-outage", hook: hook, noCore: true})
	want := w.expected(cfg)
	store := openStore(t, js, 1)
	p := newOmswatch(t, "run", dir, cfg)
	p.Start()
	w.watch(p)
	addr := p.HTTPAddr(addrTimeout)
	proctest.Eventually(t, 120*time.Second, "ready before the outage", func() bool { code, _ := proctest.Get(addr, "/readyz"); return code == 200 })
	ready := watchReadiness(addr)
	defer ready.close()

	var down, up time.Time
	var settledAfter time.Duration
	start := time.Now()
	w.drive(store, func(k int) {
		switch k {
		case outageTick:
			ns.stop(syscall.SIGTERM)
			down = time.Now()
			time.Sleep(outage)
			ns.start()
			up = time.Now()
		case outageTick + 1:
			// drive returned from the outage tick: its change was stored.
			settledAfter = time.Since(up)
		}
	})
	scenario := time.Since(start)
	targets := map[string]func() map[string]int{
		"natsjs": func() map[string]int { return streamIDs(t, js, "DELIVERED") },
		"slack":  slack.eventCounts,
		"hook":   func() map[string]int { c, _ := hook.counts(); return c },
	}
	waitDelivered(t, want, size(3*time.Minute, 6*time.Minute), targets)
	delivered := time.Now()

	sawNotReady, readyAgain := ready.between(down, up)
	if !sawNotReady {
		t.Errorf("/readyz never said not ready during the %s outage", outage)
	}
	if readyAgain.IsZero() {
		proctest.Eventually(t, 60*time.Second, "ready after the outage", func() bool { code, _ := proctest.Get(addr, "/readyz"); return code == 200 })
		_, readyAgain = ready.between(down, up)
	}
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
	audit, stored := auditCheck(t, js, want)
	hc, badSig := hook.counts()
	tallies := []tally{compare("natsjs", want, streamIDs(t, js, "DELIVERED")), compare("slack", want, slack.eventCounts()),
		compare("hook", want, hc)}
	lost := 0
	for _, c := range tallies {
		lost += c.lost
		if c.lost > 0 || c.unknown > 0 {
			t.Errorf("%s", c)
			logMissing(t, c.name, want, targets[c.name]())
		}
		if c.dups > 0 {
			t.Logf("%s duplicates (a target acknowledged while NATS was down): %v", c.name, c.dupIDs)
		}
	}
	if tallies[0].dups > 0 {
		t.Errorf("the JetStream target's stream holds a duplicate: %s", tallies[0])
	}
	if badSig > 0 {
		t.Errorf("%d webhook requests with a bad signature", badSig)
	}
	readyAfter := time.Duration(-1)
	if !readyAgain.IsZero() {
		readyAfter = readyAgain.Sub(up).Round(100 * time.Millisecond)
	}
	t.Logf("FIGURE outage: mode=%s projects=%d ticks=%d transitions=%d outage=%s events=%d audit_msgs=%d lost=%d duplicates_audit=%d unexpected_audit=%d duplicates_natsjs=%d duplicates_slack=%d duplicates_webhook=%d readyz_false_during_outage=%v ready_again_after=%s pending_change_stored_after=%s all_delivered_after_restart=%s scenario=%s",
		mode(), projects, ticks, w.transitions(), outage, len(want), stored, audit.lost+lost, audit.dups, audit.unknown,
		tallies[0].dups, tallies[1].dups, tallies[2].dups, sawNotReady, readyAfter, settledAfter.Round(100*time.Millisecond),
		delivered.Sub(up).Round(100*time.Millisecond), scenario.Round(time.Second))
}
