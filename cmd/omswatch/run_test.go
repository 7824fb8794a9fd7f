package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/sinks"
)

// The demo: `run` with no configuration at all, in an empty directory,
// prints events on stdout within 30s (the simulator's clock sped up),
// serves health, readiness and every metric of the contract in
// deploy/README.md with its type, and drains on SIGTERM with exit 0.
func TestRunDemo(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, "demo", dir, "run", "--log-format", "json", "--sim-tick", "200ms", "--sim-projects", "4")
	addr := c.HTTPAddr(addrTimeout)
	start := time.Now()
	proctest.Eventually(t, 30*time.Second, "events on stdout", func() bool {
		return strings.Contains(c.Stdout(), "oms.project.discovered") &&
			strings.Contains(c.Stdout(), "oms.step.")
	})
	t.Logf("first events after %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(c.Stderr(), "nats sub --server nats://") {
		t.Errorf("the demo does not say how to subscribe with the nats CLI:\n%s", c.Stderr())
	}
	if code, body := proctest.Get(addr, "/healthz"); code != 200 {
		t.Errorf("/healthz: %d %s", code, body)
	}
	proctest.Eventually(t, 30*time.Second, "ready", func() bool { code, _ := proctest.Get(addr, "/readyz"); return code == 200 })
	contract := metricContract(t)
	var body string
	var endedBefore int
	proctest.Eventually(t, 30*time.Second, "every metric of the contract served", func() bool {
		endedBefore = endedProjects(t, c.Stderr())
		_, body = proctest.Get(addr, "/metrics")
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
	// A project that reached a final status (RELEASED: the simulator's
	// clock runs fast) is no longer watched; the log says which ended, in
	// the line that ends the cycle (which may come after the metric moved).
	v, _ := proctest.MetricValue(body, "omswatch_projects_watched")
	endedAfter := endedProjects(t, c.Stderr())
	for deadline := time.Now().Add(10 * time.Second); v < float64(4-endedAfter) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		endedAfter = endedProjects(t, c.Stderr())
	}
	if v < float64(4-endedAfter) || v > float64(4-endedBefore) {
		t.Errorf("omswatch_projects_watched = %v, want 4 less the %d-%d projects that ended", v, endedBefore, endedAfter)
	}
	if v, _ := proctest.MetricValue(body, "omswatch_deliveries_total", `target="log"`, `result="ok"`); v == 0 {
		t.Errorf("no delivery to the log target counted:\n%s", body)
	}
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(60 * time.Second); code != exitOK {
		t.Fatalf("exit %d after SIGTERM", code)
	}
	if !c.Logged("stopped") {
		t.Errorf("no 'stopped' in the log")
	}
	project := regexp.MustCompile(`\((np_[a-z0-9]+)\)`).FindStringSubmatch(c.Stdout())
	if project == nil {
		t.Fatalf("no project id in the demo's events:\n%s", c.Stdout())
	}
	readDemoHistory(t, "after the demo", dir, project[1])

	// Run again in the same folder: the simulator goes on from where the
	// stored snapshots are, so nothing is discovered again and nothing
	// moves back to where the projects started.
	again := startChild(t, "demo-again", dir, "run", "--log-format", "json", "--sim-tick", "200ms", "--sim-projects", "4")
	addr = again.HTTPAddr(addrTimeout)
	proctest.Eventually(t, 60*time.Second, "two poll cycles of the restarted demo", func() bool {
		_, body := proctest.Get(addr, "/metrics")
		v, _ := proctest.MetricValue(body, "omswatch_polls_total")
		return v >= 8
	})
	readDemoHistory(t, "while the demo runs", dir, project[1])
	again.Signal(syscall.SIGTERM)
	if code := again.Wait(60 * time.Second); code != exitOK {
		t.Fatalf("restarted demo: exit %d after SIGTERM", code)
	}
	for _, line := range strings.Split(again.Stdout(), "\n") {
		if strings.Contains(line, "oms.project.discovered") || strings.Contains(line, "-> INIT") ||
			strings.Contains(line, "oms.config.changed") {
			t.Errorf("the restarted demo reports a change that did not happen: %s", line)
		}
	}
}

// readDemoHistory runs `history ID` without --config in dir, where the
// demo ran (or runs): it reads the demo's store; in an empty folder it
// says where the demo's store would be.
func readDemoHistory(t *testing.T, when, dir, project string) {
	t.Helper()
	h := startChild(t, "history "+when, dir, "history", project)
	if code := h.Wait(60 * time.Second); code != exitOK || !strings.Contains(h.Stdout(), "oms.project.discovered") {
		t.Errorf("history %s without --config, %s: exit %d\n%s%s", project, when, code, h.Stdout(), h.Stderr())
	}
	empty := startChild(t, "history elsewhere", t.TempDir(), "history", project)
	if code := empty.Wait(60 * time.Second); code != exitFailure || !strings.Contains(empty.Stderr(), "without --config this reads the demo's") {
		t.Errorf("history without --config in an empty folder: exit %d, stderr %q", code, empty.Stderr())
	}
}

// Readiness says no while OMS refuses the access key, and yes once the
// file is fixed (a change to the file reloads it); a broken
// configuration sent with SIGHUP is refused and the running one goes on
// polling.
func TestRunReadinessAndReload(t *testing.T) {
	sim := startTestSimulator(t, 3, 500*time.Millisecond, nil, "replica-r")
	ns, _ := proctest.StartNATS(t)
	dir := t.TempDir()
	cfg := runConfigFor(t, dir, "replica-r", sim.URL, ns.ClientURL(), "")
	good := proctest.ReadFile(t, cfg)
	const wrong = "a-wrong-but-long-secret"
	proctest.WriteFile(t, cfg, "%s", strings.Replace(good, "replica-r-secret", wrong, 1))
	c := startChild(t, "run", dir, "run", "--config", cfg, "--log-format", "json", "--watch-interval", "200ms")
	addr := c.HTTPAddr(addrTimeout)
	var body string
	proctest.Eventually(t, 30*time.Second, "not ready for the wrong secret", func() bool {
		var code int
		code, body = proctest.Get(addr, "/readyz")
		return code == 503 && strings.Contains(body, "SignatureDoesNotMatch")
	})
	if strings.Contains(body, wrong) || strings.Contains(c.Stderr(), wrong) {
		t.Errorf("the wrong secret shows in /readyz or the log")
	}
	if code, _ := proctest.Get(addr, "/healthz"); code != 200 {
		t.Errorf("/healthz %d: a replica OMS refuses is still alive", code)
	}

	proctest.WriteFile(t, cfg, "%s", good)
	proctest.Eventually(t, 30*time.Second, "ready once the file is fixed", func() bool { code, _ := proctest.Get(addr, "/readyz"); return code == 200 })
	if !c.Logged("configuration reloaded") {
		t.Errorf("no reload logged")
	}
	if strings.Contains(c.Stderr(), "replica-r-secret") {
		t.Errorf("the access key secret shows in the log")
	}

	polls := func() float64 {
		_, body := proctest.Get(addr, "/metrics")
		v, _ := proctest.MetricValue(body, "omswatch_polls_total")
		return v
	}
	proctest.WriteFile(t, cfg, "%s", good+"schedule:\n  default: \"@every banana\"\n")
	// Wait for the watcher to refuse it, so SIGHUP is refused second.
	proctest.Eventually(t, 30*time.Second, "the broken file refused", func() bool { return c.Logged("invalid; keeping the running one") })
	c.Signal(syscall.SIGHUP)
	proctest.Eventually(t, 30*time.Second, "SIGHUP refused too", func() bool {
		n := 0
		for _, l := range c.LogLines() {
			if strings.Contains(fmt.Sprint(l["msg"]), "invalid; keeping the running one") && l["reason"] == "SIGHUP" {
				n++
			}
		}
		return n > 0
	})
	before := polls()
	proctest.Eventually(t, 30*time.Second, "polling on with the running configuration", func() bool { return polls() >= before+3 })
	if code, _ := proctest.Get(addr, "/readyz"); code != 200 {
		t.Errorf("not ready after a refused reload")
	}
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(60 * time.Second); code != exitOK {
		t.Fatalf("exit %d", code)
	}
}

// SIGTERM drains: with a slow webhook holding a backlog, run stops only
// once every event of the audit stream reached the webhook, and exits 0.
func TestRunSIGTERMDrainsTheOutbox(t *testing.T) {
	sim := startTestSimulator(t, 8, 200*time.Millisecond, nil, "replica-d")
	ns, js := proctest.StartNATS(t)
	var mu sync.Mutex
	got := map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e event.Event
		body, _ := io.ReadAll(r.Body)
		if err := e.UnmarshalJSON(body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		// Slower than the simulator makes events, so a backlog builds
		// even when discovery is announced as one summary.
		time.Sleep(300 * time.Millisecond)
		mu.Lock()
		got[e.ID]++
		mu.Unlock()
	}))
	defer hook.Close()
	dir := t.TempDir()
	cfg := runConfigFor(t, dir, "replica-d", sim.URL, ns.ClientURL(),
		"webhook:\n  targets:\n    hook:\n      url: "+hook.URL+"\nrules:\n  default_to: [hook]\n  group_wait: 0s\n")
	c := startChild(t, "run", dir, "run", "--config", cfg, "--log-format", "json", "--shutdown-timeout", "2m")
	addr := c.HTTPAddr(addrTimeout)
	proctest.Eventually(t, 60*time.Second, "a backlog for the slow webhook", func() bool {
		_, body := proctest.Get(addr, "/metrics")
		v, _ := proctest.MetricValue(body, "omswatch_outbox_backlog", `target="hook"`)
		return v >= 5
	})
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(2 * time.Minute); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	audit := streamIDs(t, js, sinks.DefaultStream)
	mu.Lock()
	defer mu.Unlock()
	missing := 0
	for id := range audit {
		if got[id] == 0 {
			missing++
		}
	}
	t.Logf("%d events in the audit stream, %d delivered to the webhook before exit", len(audit), len(got))
	if missing > 0 || len(audit) == 0 {
		t.Errorf("%d of %d audited events were not delivered before exit", missing, len(audit))
	}
}

// run whose embedded NATS port is taken stops at once with the bind
// error, exit 1 (it used to wait 30 s for a server that would never be
// ready).
func TestRunWithItsNATSPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	cfg := filepath.Join(dir, "omswatch.yaml")
	doc := fmt.Sprintf("oms: {mode: sim}\nnats: {embedded: {port: %d}}\nstore: {dir: %s}\nhttp: {listen: \"127.0.0.1:0\"}\n",
		port, filepath.Join(dir, "data"))
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c := startChild(t, "run", dir, "run", "--config", cfg)
	code := c.Wait(25 * time.Second)
	took := time.Since(start)
	if code != exitFailure || !strings.Contains(c.Stderr(), "address already in use") {
		t.Fatalf("exit %d after %s, stderr:\n%s", code, took, c.Stderr())
	}
	t.Logf("FIGURE port-taken: exit %d after %s", code, took.Round(time.Millisecond))
}

// endedProjects counts the projects the service's JSON log says reached a
// final status and are no longer polled.
func endedProjects(t *testing.T, stderr string) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(stderr, "\n") {
		var rec struct {
			Msg   string `json:"msg"`
			Count int    `json:"count"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "projects reached a final status; no longer polled" {
			n += rec.Count
		}
	}
	return n
}
