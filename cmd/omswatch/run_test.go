package main

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// The demo: `run` with no configuration at all, in an empty directory,
// prints events on stdout within 30s (the simulator's clock sped up),
// serves health, readiness and every metric of the contract in
// deploy/README.md with its type, and drains on SIGTERM with exit 0.
func TestRunDemo(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, "demo", dir, "run", "--log-format", "json", "--sim-tick", "200ms", "--sim-projects", "4")
	addr := c.httpAddr()
	start := time.Now()
	eventually(t, 30*time.Second, "events on stdout", func() bool {
		return strings.Contains(c.stdout.String(), "oms.project.discovered") &&
			strings.Contains(c.stdout.String(), "oms.step.")
	})
	t.Logf("first events after %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(c.stderr.String(), "nats sub --server nats://") {
		t.Errorf("the demo does not say how to subscribe with the nats CLI:\n%s", c.stderr.String())
	}
	if code, body := get(addr, "/healthz"); code != 200 {
		t.Errorf("/healthz: %d %s", code, body)
	}
	eventually(t, 30*time.Second, "ready", func() bool { code, _ := get(addr, "/readyz"); return code == 200 })
	contract := metricContract(t)
	var body string
	eventually(t, 30*time.Second, "every metric of the contract served", func() bool {
		_, body = get(addr, "/metrics")
		for name := range contract {
			if !strings.Contains(body, "\n"+name) {
				return false
			}
		}
		return true
	})
	for name, typ := range contract {
		if !strings.Contains(body, "# TYPE "+name+" "+typ+"\n") {
			t.Errorf("/metrics: %s is not a %s", name, typ)
		}
	}
	if v, _ := metricValue(body, "omswatch_projects_watched"); v != 4 {
		t.Errorf("omswatch_projects_watched = %v, want 4", v)
	}
	if v, _ := metricValue(body, "omswatch_deliveries_total", `target="log"`, `result="ok"`); v == 0 {
		t.Errorf("no delivery to the log target counted:\n%s", body)
	}
	c.signal(syscall.SIGTERM)
	if code := c.wait(60 * time.Second); code != exitOK {
		t.Fatalf("exit %d after SIGTERM", code)
	}
	if !c.logged("stopped") {
		t.Errorf("no 'stopped' in the log")
	}
}
