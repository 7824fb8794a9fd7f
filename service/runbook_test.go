package service

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/poller"
)

// recordingSlack answers Slack's Web API and keeps what was posted and
// edited: each request's text and blocks.
type recordingSlack struct {
	mu   sync.Mutex
	sent []string
}

func (f *recordingSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.sent = append(f.sent, strings.ReplaceAll(r.URL.Path+" "+r.Form.Get("text")+" "+r.Form.Get("blocks")+r.Form.Get("attachments"), "\n", " "))
	f.sent[len(f.sent)-1] = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(f.sent[len(f.sent)-1])
	n := len(f.sent)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"channel":"C0DBA","ts":"1748765400.%06d"}`, n)
}

func (f *recordingSlack) all() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.sent, "\n")
}

// A FAILED step with an OMS CM- error code, through the pipeline to a
// Slack target: its incident's parent message and the step error's line
// in the project's thread show the shipped runbook; the user's entry
// overrides it; incidents.shipped_runbooks: false leaves only the user's.
func TestRunbooksOnSlack(t *testing.T) {
	const shippedCM = "follow the Proposal OMS gives with it first"
	for _, tc := range []struct {
		name, incidents string
		want, not       string
	}{
		{"shipped", "", shippedCM, "wiki.example.com"},
		{"the user's first", "  runbooks:\n    - {match: CM-RESO*, link: https://wiki.example.com/oms/reso}\n",
			"<https://wiki.example.com/oms/reso>", shippedCM},
		{"shipped off", "  shipped_runbooks: false\n", "", "Runbook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			f := &recordingSlack{}
			srv := httptest.NewServer(f)
			defer srv.Close()
			d, _, _ := startDelivery(ctx, t, "oms: {mode: sim}\nstore:\n  dir: unused\n"+
				"slack:\n  token: xoxb-runbook-test\n  api_url: "+srv.URL+"\n  rate_limit: 100/s\n  targets:\n    dba: {channel: \"#oms-dba\"}\n"+
				"rules:\n  group_wait: 0s\n  routes:\n    - {match: {severity_at_least: warning}, to: [dba]}\n"+
				"incidents:\n  enabled: true\n"+tc.incidents)
			running := diffSnapshot(t, "sim_lag-fail-recover_step_error_raised", "old.json")
			failed := diffSnapshot(t, "sim_lag-fail-recover_step_error_raised", "new.json")
			t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
			for i, c := range []poller.Change{{Current: running}, {Previous: running, Current: failed}} {
				c.Source, c.Project, c.Time = "oms://cn-hangzhou", running.ID(), t0.Add(time.Duration(i)*time.Minute)
				if err := d.Handler().Handle(ctx, c); err != nil {
					t.Fatalf("hand-off %d: %v", i, err)
				}
			}
			if err := d.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			sent := f.all()
			var card, line string
			for _, s := range strings.Split(sent, "\n") {
				switch {
				case strings.HasPrefix(s, "/chat.postMessage FIRING"):
					card = s
				case strings.Contains(s, "chat.postMessage") && strings.Contains(s, "error `CM-RESOINCR0207`"):
					line = s
				}
			}
			if card == "" || line == "" {
				t.Fatalf("no incident message or error line in what Slack got:\n%s", sent)
			}
			for what, s := range map[string]string{"incident message": card, "error line": line} {
				if tc.want != "" && !strings.Contains(s, "Runbook:") || !strings.Contains(s, tc.want) {
					t.Errorf("the %s does not show %q: %s", what, tc.want, s)
				}
				if strings.Contains(s, tc.not) {
					t.Errorf("the %s shows %q: %s", what, tc.not, s)
				}
			}
		})
	}
}
