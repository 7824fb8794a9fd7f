package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
)

// outage is a downstream that refuses while down (Slack's invalid_auth, a
// webhook's 401, as after a revoked token) and records what it takes.
type outage struct {
	mu   sync.Mutex
	down bool
	got  map[string]int // project id -> notifications of it taken
}

func (o *outage) take(project string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.down && project != "" {
		o.got[project]++
	}
	return !o.down
}

func (o *outage) set(down bool) { o.mu.Lock(); o.down = down; o.mu.Unlock() }

// slackAPI is a Slack Web API: chat.postMessage and chat.update; a reply
// (thread_ts set) counts for the project its text names.
func (o *outage) slackAPI(projects func(string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		project := ""
		if r.FormValue("thread_ts") != "" {
			project = projects(r.FormValue("text"))
		}
		if !o.take(project) {
			fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		fmt.Fprint(w, `{"ok":true,"channel":"C0DL","ts":"1700000000.000100"}`)
	})
}

// webhook takes CloudEvents.
func (o *outage) webhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var e event.Event
		_ = e.UnmarshalJSON(body)
		if !o.take(e.Subject) {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
}

// Issue 15, point 4: a target's outage dead-letters what once routed to
// it; `deadletter list` shows each (target, project, type, reason, not
// resent) from the store; once the cause is fixed, `deadletter resend`
// re-queues them and the next run delivers each exactly once; the list
// then says when each was resent, and a second resend finds nothing.
func TestDeadLetterListAndResend(t *testing.T) {
	cases := []struct {
		name, target, reason string
		targets              func(url string) string
		handler              func(o *outage, projects func(string) string) http.Handler
	}{
		{"slack invalid_auth", "oncall", "invalid_auth",
			func(url string) string {
				return fmt.Sprintf("slack:\n  token: xoxb-dl\n  api_url: %s/\n  rate_limit: 1000/s\n  targets: {oncall: {channel: \"#oms\"}}\n", url)
			},
			func(o *outage, projects func(string) string) http.Handler { return o.slackAPI(projects) }},
		{"webhook 401", "hook", "401 Unauthorized",
			func(url string) string { return fmt.Sprintf("webhook:\n  targets: {hook: {url: %s/hook}}\n", url) },
			func(o *outage, _ func(string) string) http.Handler { return o.webhook() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := &outage{down: true, got: map[string]int{}}
			var ids []string // the projects, once known
			var idsMu sync.Mutex
			projects := func(text string) string {
				idsMu.Lock()
				defer idsMu.Unlock()
				for _, id := range ids {
					if strings.Contains(text, id) {
						return id
					}
				}
				return "?"
			}
			srv := httptest.NewServer(tc.handler(o, projects))
			defer srv.Close()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "omswatch.yaml")
			doc := fmt.Sprintf("oms: {mode: sim}\ndiscovery: {announce: each}\nnats: {embedded: {port: -1}}\nstore: {dir: %s}\n%srules:\n  default_to: [%s]\n",
				filepath.Join(dir, "data"), tc.targets(srv.URL), tc.target)
			if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, _, errOut := runCLI(t, "once", "--config", cfg); code != exitFailure || !strings.Contains(errOut, "dead-lettered") {
				t.Fatalf("once during the outage: exit %d\n%s", code, errOut)
			}

			code, out, errOut := runCLI(t, "deadletter", "list", "--config", cfg)
			if code != exitOK || strings.Count(out, " "+tc.target+" ") != 20 || strings.Count(out, tc.reason) != 20 ||
				!strings.Contains(out, "20 dead letters, 20 not resent yet") {
				t.Fatalf("list: exit %d %s\n%s", code, errOut, out)
			}
			letters := listJSON(t, cfg)
			idsMu.Lock()
			for _, dl := range letters {
				ids = append(ids, dl.Project)
				if dl.Target != tc.target || dl.Type != event.TypeProjectDiscovered || !strings.Contains(dl.Reason, tc.reason) ||
					dl.Attempts != 1 || len(dl.Resent) != 0 || dl.ID == 0 {
					t.Errorf("dead letter %+v", dl)
				}
			}
			idsMu.Unlock()

			o.set(false) // the token is rotated
			code, out, errOut = runCLI(t, "deadletter", "resend", "--config", cfg, "--target", tc.target)
			if code != exitOK || !strings.Contains(out, "20 re-queued") {
				t.Fatalf("resend: exit %d %s\n%s", code, errOut, out)
			}
			if code, _, errOut := runCLI(t, "once", "--config", cfg); code != exitOK {
				t.Fatalf("once after the resend: exit %d\n%s", code, errOut)
			}
			o.mu.Lock()
			for _, id := range ids {
				if o.got[id] != 1 {
					t.Errorf("project %s: %d notifications after the resend, want 1", id, o.got[id])
				}
			}
			if len(o.got) != len(ids) {
				t.Errorf("the target got notifications of %d projects, want %d: %v", len(o.got), len(ids), o.got)
			}
			o.mu.Unlock()
			for _, dl := range listJSON(t, cfg) {
				if len(dl.Resent) != 1 {
					t.Errorf("dead letter %d: resent %v, want once", dl.ID, dl.Resent)
				}
			}
			if code, out, _ := runCLI(t, "deadletter", "resend", "--config", cfg); code != exitOK || !strings.Contains(out, "nothing to resend") {
				t.Errorf("a second resend: exit %d\n%s", code, out)
			}
		})
	}
}

// A dead letter as `deadletter list --format json` prints it.
type listedDeadLetter struct {
	ID       uint64   `json:"id"`
	Target   string   `json:"target"`
	Project  string   `json:"project"`
	Type     string   `json:"type"`
	Reason   string   `json:"reason"`
	Attempts int      `json:"attempts"`
	Resent   []string `json:"resent"`
	EventID  string   `json:"event_id"`
}

func listJSON(t *testing.T, cfg string) []listedDeadLetter {
	t.Helper()
	code, out, errOut := runCLI(t, "deadletter", "list", "--config", cfg, "--format", "json")
	if code != exitOK {
		t.Fatalf("list --format json: exit %d %s", code, errOut)
	}
	var dls []listedDeadLetter
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var dl listedDeadLetter
		if err := dec.Decode(&dl); err != nil {
			t.Fatal(err)
		}
		dls = append(dls, dl)
	}
	return dls
}

// Usage errors are exit 2 and name the flag; an unknown id is exit 1.
func TestDeadLetterUsage(t *testing.T) {
	dir := t.TempDir()
	cfg, elsewhere := filepath.Join(dir, "omswatch.yaml"), filepath.Join(dir, "elsewhere.yaml")
	proctest.WriteFile(t, cfg, "oms: {mode: sim}\nstore: {dir: %s}\n", dir)
	proctest.WriteFile(t, elsewhere, "oms: {mode: sim}\nstore: {dir: %s}\n", filepath.Join(dir, "none"))
	cases := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"bad format", []string{"deadletter", "list", "--config", cfg, "--format", "xml"}, exitUsage, `--format "xml"`},
		{"no such configuration", []string{"deadletter", "list", "--config", filepath.Join("testdata", "nope.yaml")}, exitUsage, "nope.yaml"},
		{"no store", []string{"deadletter", "resend", "--config", elsewhere}, exitFailure, "no store at " + filepath.Join(dir, "none")},
		{"nothing recorded", []string{"deadletter", "list", "--config", cfg}, exitOK, ""},
		{"unknown target", []string{"deadletter", "list", "--config", cfg, "--target", "oncal"}, exitUsage, `--target "oncal"`},
		{"unknown id", []string{"deadletter", "resend", "--config", cfg, "42"}, exitFailure, "no dead letter 42"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.err) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.err)
			}
		})
	}
}

// receiver is a webhook that refuses with 401 while down and records the
// events it takes: how often each id, and their types.
type receiver struct {
	mu    sync.Mutex
	down  bool
	ids   map[string]int
	types map[string]int
}

func newReceiver(t *testing.T, down bool) (*receiver, *httptest.Server) {
	r := &receiver{down: down, ids: map[string]int{}, types: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var e event.Event
		_ = e.UnmarshalJSON(body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.down {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.ids[e.ID]++
		r.types[e.Type]++
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *receiver) count(f func(r *receiver) int) int { r.mu.Lock(); defer r.mu.Unlock(); return f(r) }

// Issue 15, points 4 and 6, against a running omswatch (its embedded
// server found through the store's lock file): a webhook refusing
// everything is reported once as oms.target.failing (to the fallback,
// since the routes name only the failing target) with
// omswatch_target_failing 1, while heartbeats reach their target; after the
// fix, `deadletter resend` re-queues the dead letters and the running
// dispatcher delivers each exactly once, and the target is recovered.
func TestDeadLetterResendToARunningInstance(t *testing.T) {
	hook, hookSrv := newReceiver(t, true)
	pager, pagerSrv := newReceiver(t, false)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "omswatch.yaml")
	proctest.WriteFile(t, cfg, `oms: {mode: sim}
schedule: {default: "@every 1s", jitter: 0s}
nats: {embedded: {port: -1}}
store: {dir: %s, delivery: {fallback_to: pager, failing_after: 1s}}
webhook:
  targets:
    hook: {url: %s/hook}
    pager: {url: %s/pager}
rules: {default_to: [hook]}
http: {listen: "127.0.0.1:0"}
heartbeat: {to: [pager], every: 10s}
`, filepath.Join(dir, "data"), hookSrv.URL, pagerSrv.URL)
	c := startChild(t, "run", dir, "run", "--config", cfg, "--log-format", "json", "--sim-tick", "200ms", "--sim-projects", "4")
	addr := c.HTTPAddr(addrTimeout)
	failing := func() float64 {
		_, body := proctest.Get(addr, "/metrics")
		v, _ := proctest.MetricValue(body, "omswatch_target_failing", `target="hook"`)
		return v
	}
	proctest.Eventually(t, 60*time.Second, "hook failing, told to the fallback, and a heartbeat", func() bool {
		return failing() == 1 && pager.count(func(r *receiver) int { return r.types[event.TypeTargetFailing] }) == 1 &&
			pager.count(func(r *receiver) int { return r.types[event.TypeWatchHeartbeat] }) > 0
	})

	hook.mu.Lock()
	hook.down = false // the token is rotated
	hook.mu.Unlock()
	proctest.Eventually(t, 60*time.Second, "hook recovered", func() bool { return failing() == 0 })
	letters := listJSON(t, cfg)
	if len(letters) < 4 {
		t.Fatalf("%d dead letters, want at least the 4 discoveries", len(letters))
	}
	code, out, errOut := runCLI(t, "deadletter", "resend", "--config", cfg)
	if code != exitOK || !strings.Contains(out, fmt.Sprintf("%d re-queued", len(letters))) {
		t.Fatalf("resend: exit %d %s\n%s", code, errOut, out)
	}
	proctest.Eventually(t, 60*time.Second, "every resent event delivered", func() bool {
		return hook.count(func(r *receiver) int {
			n := 0
			for _, dl := range letters {
				n += min(r.ids[dl.EventID], 1)
			}
			return n
		}) == len(letters)
	})
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(60 * time.Second); code != exitOK {
		t.Fatalf("exit %d after SIGTERM", code)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	for _, dl := range letters {
		if hook.ids[dl.EventID] != 1 {
			t.Errorf("event %s delivered %d times after its resend, want once", dl.EventID, hook.ids[dl.EventID])
		}
	}
	if hook.types[event.TypeTargetRecovered] != 1 {
		t.Errorf("oms.target.recovered delivered %d times to the recovered target, want once", hook.types[event.TypeTargetRecovered])
	}
	if !c.Logged("delivered the resend of dead letter") {
		t.Errorf("the running instance did not log the resent deliveries")
	}
}
