package chaos

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// Scenario 3, cluster node loss: three nats-server processes clustered on
// loopback (JetStream, routes), omswatch with store.replicas: 3 (the
// audit and delivery streams and every bucket on three nodes). Half way,
// the node leading the audit stream is SIGKILLed and stays down: nothing
// is lost and nothing is duplicated, in the audit stream and at any
// target.
func TestClusterNodeLoss(t *testing.T) {
	projects, ticks := size(8, 20), size(12, 26)
	killTick := ticks / 2
	w := newWorld(t, projects, ticks, 31, "chaos-cluster", "chaos-cluster-secret")
	nodes, all := startCluster(t, "n")
	_, js := connect(t, all, "", "")
	createDelivered(t, js, 3)
	slack := newFakeSlack(t)
	hook := newFakeWebhook(t, "cluster-hook-secret")
	dir := t.TempDir()
	cfg := w.writeConfig(dir, cfgOptions{natsURL: all, replicas: 3, slack: slack, slackToken: "xoxb-chaos-cluster", hook: hook, noCore: true})
	want := w.expected(cfg)
	store := openStore(t, js, 3)
	p := newOmswatch(t, "run", dir, cfg)
	p.Start()
	w.watch(p)

	killed := ""
	var killedAt time.Time
	var recovered time.Duration
	start := time.Now()
	w.drive(store, func(k int) {
		switch k {
		case killTick:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := js.Stream(ctx, "OMSWATCH_EVENTS")
			if err != nil {
				t.Fatalf("audit stream: %v", err)
			}
			info, err := s.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.Config.Replicas != 3 {
				t.Errorf("the audit stream has %d replicas; store.replicas is 3", info.Config.Replicas)
			}
			if info.Cluster == nil {
				t.Fatal("the audit stream has no cluster info")
			}
			killed = info.Cluster.Leader
			for _, n := range nodes {
				if n.name == killed {
					n.stop(syscall.SIGKILL)
					killedAt = time.Now()
				}
			}
			if killedAt.IsZero() {
				t.Fatalf("the audit stream's leader %q is none of the nodes", killed)
			}
		case killTick + 1:
			recovered = time.Since(killedAt)
		}
	})
	scenario := time.Since(start)
	targets := map[string]func() map[string]int{
		"natsjs": func() map[string]int { return streamIDs(t, js, "DELIVERED") },
		"slack":  slack.eventCounts,
		"hook":   func() map[string]int { c, _ := hook.counts(); return c },
	}
	waitDelivered(t, want, size(3*time.Minute, 6*time.Minute), targets)
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
	audit, stored := auditCheck(t, js, want)
	hc, badSig := hook.counts()
	tallies := []tally{compare("natsjs", want, streamIDs(t, js, "DELIVERED")), compare("slack", want, slack.eventCounts()),
		compare("hook", want, hc)}
	lost, dups := 0, 0
	for _, c := range tallies {
		lost += c.lost
		dups += c.dups
		if c.lost > 0 || c.dups > 0 || c.unknown > 0 {
			t.Errorf("%s %v", c, c.dupIDs)
			logMissing(t, c.name, want, targets[c.name]())
		}
	}
	if badSig > 0 {
		t.Errorf("%d webhook requests with a bad signature", badSig)
	}
	t.Logf("FIGURE cluster: mode=%s nodes=3 replicas=3 projects=%d ticks=%d transitions=%d killed=%s(audit-stream-leader) events=%d audit_msgs=%d lost=%d duplicates=%d duplicates_audit=%d unexpected_audit=%d next_tick_stored_after_kill=%s scenario=%s",
		mode(), projects, ticks, w.transitions(), killed, len(want), stored, audit.lost+lost, audit.dups+dups, audit.dups, audit.unknown,
		recovered.Round(100*time.Millisecond), scenario.Round(time.Second))
}
