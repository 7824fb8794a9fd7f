package chaos

import (
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
)

// Scenario 6, HA: two `run` replicas with ha share the projects and the
// dispatcher lease for the whole scenario; half way the replica that
// delivers the outbox is SIGKILLed (not restarted). Every expected event is
// in the audit stream once and reaches every target; a second copy at a
// target is only allowed for what the killed replica had handed to the
// target but not acknowledged (first copy before the kill, second after);
// the JetStream target's stream holds each id once.
func TestHAReplicaKill(t *testing.T) {
	projects, ticks := size(8, 20), size(12, 26)
	killTick := ticks / 2
	w := newWorld(t, projects, ticks, 41, "chaos-ha", "chaos-ha-secret")
	ns := newNATS(t, natsOptions{name: "ha"})
	ns.start()
	nc, js := connect(t, ns.url(), "", "")
	createDelivered(t, js, 1)
	core := subscribeCore(t, nc, "core.>")
	slack := newFakeSlack(t)
	hook := newFakeWebhook(t, "ha-hook-secret")
	dir := t.TempDir()
	var reps []*omswatchProc
	var cfg string
	store := openStore(t, js, 1)
	for _, id := range []string{"replica-a", "replica-b"} {
		cfg = w.writeConfig(dir, cfgOptions{natsURL: ns.url(), slack: slack, slackToken: "xoxb-chaos-ha", hook: hook, replicaID: id})
		p := newOmswatch(t, id, dir, cfg)
		p.Start()
		w.watch(p)
		reps = append(reps, p)
	}
	want := w.expected(cfg)
	var addrs []string
	for _, p := range reps {
		addrs = append(addrs, p.HTTPAddr(addrTimeout))
	}
	held := func(i int) float64 { return leasesHeld(addrs[i]) }
	proctest.Eventually(t, 120*time.Second, "both replicas holding project leases", func() bool {
		a, b := held(0), held(1)
		return a > 0 && b > 0 && a+b == 256
	})
	shareA, shareB := held(0), held(1)

	var killed time.Time
	victim, survivor := -1, -1
	var takeover time.Duration
	start := time.Now()
	w.drive(store, func(k int) {
		if k != killTick {
			return
		}
		victim, survivor = 0, 1
		if !reps[0].delivering() {
			victim, survivor = 1, 0
		}
		time.Sleep(500 * time.Millisecond) // the tick's polls and deliveries under way
		w.unwatch(reps[victim])
		reps[victim].Kill()
		killed = time.Now()
		proctest.Eventually(t, 60*time.Second, "the survivor holding every lease", func() bool { return held(survivor) == 256 })
		takeover = time.Since(killed)
	})
	scenario := time.Since(start)
	hookTimes := func() map[string][]time.Time { m, _ := hook.times(); return m }
	targets := map[string]func() map[string]int{
		"natsjs":   func() map[string]int { return streamIDs(t, js, "DELIVERED") },
		"natscore": core.counts,
		"slack":    slack.eventCounts,
		"hook":     func() map[string]int { return countTimes(hookTimes()) },
	}
	waitDelivered(t, want, size(3*time.Minute, 6*time.Minute), targets)
	if code := reps[survivor].term(60 * time.Second); code != 0 {
		t.Errorf("%s: exit %d after SIGTERM", reps[survivor].Name, code)
	}
	audit, stored := auditCheck(t, js, want)
	jsT := compare("natsjs", want, streamIDs(t, js, "DELIVERED"))
	if jsT.lost > 0 || jsT.dups > 0 || jsT.unknown > 0 {
		t.Errorf("%s", jsT)
	}
	figures := map[string]int{}
	for name, times := range map[string]map[string][]time.Time{"natscore": core.times(), "slack": slack.eventTimes(), "hook": hookTimes()} {
		c := compare(name, want, countTimes(times))
		if c.lost > 0 || c.unknown > 0 {
			t.Errorf("%s", c)
			logMissing(t, name, want, countTimes(times))
		}
		inFlight := 0
		for _, id := range c.dupIDs {
			at := times[id]
			if len(at) == 2 && at[0].Before(killed) && at[1].After(killed) {
				inFlight++
				continue
			}
			t.Errorf("%s received %s %d times (%v), not just across the kill at %s", name, id, len(at), at, killed.Format(time.StampMilli))
		}
		figures[name] = c.dups
		figures[name+"_inflight"] = inFlight
	}
	_, badSig := hook.counts()
	if badSig > 0 {
		t.Errorf("%d webhook requests with a bad signature", badSig)
	}
	t.Logf("FIGURE ha: mode=%s replicas=2 projects=%d ticks=%d transitions=%d leases_before_kill=%v/%v killed=%s(dispatcher) takeover=%s events=%d audit_msgs=%d lost=%d duplicates_audit=%d unexpected_audit=%d duplicates_natsjs=%d duplicates_natscore=%d duplicates_slack=%d duplicates_webhook=%d (all in flight at the kill: %v) scenario=%s",
		mode(), projects, ticks, w.transitions(), shareA, shareB, reps[victim].Name, takeover.Round(100*time.Millisecond),
		len(want), stored, audit.lost+jsT.lost, audit.dups, audit.unknown, jsT.dups, figures["natscore"], figures["slack"], figures["hook"],
		figures["natscore"] == figures["natscore_inflight"] && figures["slack"] == figures["slack_inflight"] && figures["hook"] == figures["hook_inflight"],
		scenario.Round(time.Second))
}
