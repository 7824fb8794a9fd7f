package chaos

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// Scenario 1, crash consistency: `omswatch run` is SIGKILLed at random
// moments while the simulator's projects move, and started again each
// time. At the end every event the scenario implies (the replay of the
// simulator's answers) is in the audit stream exactly once and nothing
// else is; every target received every one; the JetStream target's stream
// holds each id once; duplicates at the core NATS subscriber, Slack and the
// webhook (a kill between the downstream's acceptance and the ack) are
// counted and reported.
func TestCrashConsistency(t *testing.T) {
	projects, ticks, kills := size(10, 20), size(16, 26), size(5, 50)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 8))
	t.Logf("seed %d: %d projects, %d ticks, %d SIGKILLs", seed, projects, ticks, kills)

	w := newWorld(t, projects, ticks, 11, "chaos-crash", "chaos-crash-secret")
	transitions := w.transitions()
	if long && transitions < 200 {
		t.Fatalf("the LONG scenario makes %d state transitions; the issue asks for at least 200", transitions)
	}
	ns := newNATS(t, natsOptions{name: "crash"})
	ns.start()
	nc, js := connect(t, ns.url(), "", "")
	createDelivered(t, js, 1)
	core := subscribeCore(t, nc, "core.>")
	slack := newFakeSlack(t)
	hook := newFakeWebhook(t, "")
	dir := t.TempDir()
	cfg := w.writeConfig(dir, cfgOptions{natsURL: ns.url(), slack: slack, slackToken: "xoxb-chaos-crash", hook: hook})
	want := w.expected(cfg)

	// Each kill happens during a random tick, a random time after the
	// clock moved (or after the previous restart).
	plan := make([]int, kills)
	for i := range plan {
		plan[i] = 1 + rng.IntN(ticks-1)
	}
	sort.Ints(plan)
	store := openStore(t, js, 1)
	p := newOmswatch(t, "run", dir, cfg)
	p.Start()
	w.watch(p)
	done := 0
	start := time.Now()
	w.drive(store, func(k int) {
		for done < len(plan) && plan[done] == k {
			time.Sleep(time.Duration(rng.IntN(2500)) * time.Millisecond)
			p.Kill()
			done++
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
			p.Start()
		}
	})
	scenario := time.Since(start)
	if done != kills {
		t.Fatalf("%d of %d kills done", done, kills)
	}
	targets := map[string]func() map[string]int{
		"natsjs":   func() map[string]int { return streamIDs(t, js, "DELIVERED") },
		"natscore": core.counts,
		"slack":    slack.eventCounts,
		"hook":     func() map[string]int { c, _ := hook.counts(); return c },
	}
	waitDelivered(t, want, size(3*time.Minute, 6*time.Minute), targets)
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}

	audit, stored := auditCheck(t, js, want)
	js1 := compare("natsjs", want, streamIDs(t, js, "DELIVERED"))
	coreT := compare("natscore", want, core.counts())
	slackT := compare("slack", want, slack.eventCounts())
	hc, badSig := hook.counts()
	hookT := compare("hook", want, hc)
	for _, c := range []tally{js1, coreT, slackT, hookT} {
		if c.lost > 0 || c.unknown > 0 {
			t.Errorf("%s", c)
			if c.lost > 0 {
				logMissing(t, c.name, want, targets[c.name]())
			}
		}
		if c.dups > 0 {
			t.Logf("%s duplicates (at-least-once across a SIGKILL): %v", c.name, c.dupIDs)
		}
	}
	if js1.dups > 0 {
		t.Errorf("a consumer of the JetStream target's stream sees a duplicate id: %s", js1)
	}
	if badSig > 0 {
		t.Errorf("%d webhook requests with a bad signature", badSig)
	}
	t.Logf("FIGURE crash: mode=%s projects=%d ticks=%d transitions=%d kills=%d starts=%d events=%d audit_msgs=%d lost=%d duplicates_audit=%d unexpected_audit=%d duplicates_natsjs=%d duplicates_natscore=%d duplicates_slack=%d duplicates_webhook=%d lost_targets=%d scenario=%s",
		mode(), projects, ticks, transitions, kills, p.Starts(), len(want), stored, audit.lost, audit.dups, audit.unknown,
		js1.dups, coreT.dups, slackT.dups, hookT.dups, js1.lost+coreT.lost+slackT.lost+hookT.lost, scenario.Round(time.Second))
}

func mode() string { return size("fast", "long") }
