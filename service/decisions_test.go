package service

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

var updateDecisions = flag.Bool("update", false, "rewrite testdata/decisions/*.golden")

// normalizeRun blanks what differs between runs: the silence's random id,
// and the notification ids and Slack ts, which depend on how the events
// of a poll were batched.
func normalizeRun(s, silenceID string) string {
	s = strings.ReplaceAll(s, silenceID[:12], "SILENCE")
	s = regexp.MustCompile(`notification [0-9a-f]{16}`).ReplaceAllString(s, "notification N")
	return regexp.MustCompile(`ts 1748765400\.[0-9]{6}`).ReplaceAllString(s, "ts T")
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateDecisions {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("differs from %s (-update rewrites it)\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// fakeSlack speaks Slack's Web API: chat.postMessage answers 500 for the
// first `outage` posts (Slack is down), then ok with a ts; chat.update ok.
type fakeSlack struct {
	mu     sync.Mutex
	posts  int
	outage int
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "chat.update") {
		fmt.Fprint(w, `{"ok":true,"channel":"C0DBA","ts":"1"}`)
		return
	}
	f.mu.Lock()
	f.posts++
	n := f.posts
	f.mu.Unlock()
	if n <= f.outage {
		http.Error(w, "slack is down", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, `{"ok":true,"channel":"C0DBA","ts":"1748765400.%06d"}`, n)
}

const decisionsConfig = `
oms: {mode: sim}
store:
  dir: unused
  delivery: {initial_backoff: 10ms, max_backoff: 20ms}
slack:
  token: xoxb-decisions-test-token
  api_url: %s
  rate_limit: 100/s
  targets:
    dba: {channel: "#oms-dba"}
rules:
  group_wait: 0s
  default_to: [log]
  routes:
    - name: noise
      match: {types: [oms.alarm.*]}
      drop: true
    - name: high-only
      match: {types: [oms.step.*]}
      when: 'project.Name == "nothing is called this"'
      to: [dba]
    - name: dba
      match: {types: [oms.project.*, oms.step.*, oms.condition.*]}
      to: [dba]
  conditions:
    - name: failed_now
      expr: project.Failed()
    - name: failed_for_10m
      expr: project.Failed()
      value: project.Status
      for: 10m
  inhibit:
    - name: failure-mutes-errors
      source_conditions: [failed_now]
      target: {types: [oms.step.error_raised]}
`

// TestDecisionRecordsOfARealRun runs three polls of a project that fails
// and resumes through the pipeline and the dispatcher (embedded NATS, a
// Slack that is down for its first two posts, a silence, an inhibition, a
// dropping route), then reads the trail back: every event says where it
// went and why, and explain names the silence, the inhibition and the
// for: that kept a condition quiet.
func TestDecisionRecordsOfARealRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	slackSrv := httptest.NewServer(&fakeSlack{outage: 2})
	defer slackSrv.Close()
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	cfg, err := config.Load(fmt.Appendf(nil, decisionsConfig, slackSrv.URL), "rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDelivery(ctx, cfg, js, deliveryOptions{stdout: &proctest.Buffer{}, logFormat: "json",
		red: &secret.Redactor{}, log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	old, failed := snapshotFile(t, "old.json"), snapshotFile(t, "new.json")
	t0 := time.Date(2025, 6, 1, 8, 5, 0, 0, time.UTC)
	sil, err := rules.NewSilence([]string{"type=oms.project.status_changed"}, t0.Add(-time.Hour), t0.Add(6*time.Hour), "dba", "maintenance")
	if err != nil {
		t.Fatal(err)
	}
	sils, err := rules.NewSilences([]rules.Silence{sil})
	if err != nil {
		t.Fatal(err)
	}
	d.pipe.silences = func() *rules.Silences { return sils }
	var clock atomic.Pointer[time.Time]
	clock.Store(&t0)
	d.dispOpts.Now = func() time.Time { return *clock.Load() }
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	src, project := "oms://cn-hangzhou", old.ID()
	for _, c := range []poller.Change{
		{Source: src, Project: project, Time: t0, Current: old},
		{Source: src, Project: project, Time: t0.Add(5 * time.Minute), Previous: old, Current: failed},
		{Source: src, Project: project, Time: t0.Add(7 * time.Minute), Previous: failed, Current: old},
	} {
		clock.Store(&c.Time) // the records' clock: the poll's
		if err := d.Handler().Handle(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := d.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.StopDispatcher(ctx); err != nil { // delivers, then stores the last records
		t.Fatal(err)
	}
	events, err := sinks.History(ctx, js, sinks.HistoryQuery{Project: project})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := sinks.Records(ctx, js, sinks.RecordQuery{Project: project})
	if err != nil {
		t.Fatal(err)
	}
	trail := newTrail(project, events, recs, slog.New(slog.DiscardHandler))
	trail.Display = targetDisplay(cfg)
	var hist bytes.Buffer
	if err := WriteHistory(&hist, trail, HistoryFormat{}); err != nil {
		t.Fatal(err)
	}
	idOf := func(typ string) string {
		for _, te := range trail.Events {
			if te.Event.Type == typ {
				return te.Event.ID
			}
		}
		t.Fatalf("no %s in the trail:\n%s", typ, hist.String())
		return ""
	}
	firing := idOf("oms.condition.firing")
	var js1 bytes.Buffer
	if err := WriteHistory(&js1, trail, HistoryFormat{JSON: true}); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(js1.String()), "\n") {
		var v struct {
			SpecVersion string          `json:"specversion"`
			Kind        string          `json:"kind"`
			Record      json.RawMessage `json:"omswatchrecord"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("json line %d: %v", i+1, err)
		}
		if (v.SpecVersion == "" || v.Record == nil) && v.Kind != sinks.RecordCondition {
			t.Errorf("json line %d is neither an event with its records nor a condition record: %.200s", i+1, line)
		}
	}
	for _, tc := range []struct {
		name  string
		q     *ExplainQuery // nil: the history
		wants []string
	}{
		{"history", nil, []string{
			"silenced by " + sil.ID[:12] + "... (dba, \"maintenance\", until 14:05:00, type=oms.project.status_changed)",
			"inhibited by failure-mutes-errors (condition failed_now firing, event " + firing[:12] + "...)",
			"dropped by route noise (rules.yaml:16)",
			"-> #oms-dba (dba) (delivered 08:05:00 after 3 attempts, ts 1748765400.000003)",
			"   in notification ", "(project=np_lzubz1i86txw)",
			"condition failed_for_10m: pending: started to hold; fires at 08:20:00 if it still holds then (for: 10m); value FAILED",
			"condition failed_for_10m: back to inactive: stopped holding after 2m of its for: 10m, so it did not fire",
			"condition failed_now: firing: holds (no for:)",
			"condition failed_now: resolved: recovered (its expression stopped holding)",
		}},
		{"an inhibited event", &ExplainQuery{Event: idOf("oms.step.error_raised")[:8]}, []string{
			"route high-only (rules.yaml:19) matched, but its when was false",
			"route dba (rules.yaml:23) took it: to dba",
			"inhibited by failure-mutes-errors (condition failed_now firing, event " + firing[:12] + "...)",
		}},
		{"the retried delivery", &ExplainQuery{Event: idOf("oms.project.discovered")}, []string{
			"dba attempt 1 at 08:05:00: retrying: slack chat.postMessage: slack server error: 500 Internal Server Error",
			"dba attempt 3 at 08:05:00: delivered",
		}},
		{"a for that kept a condition quiet", &ExplainQuery{Rule: "failed_for_10m"}, []string{
			"condition failed_for_10m: project.Failed() for 10m",
			"08:10:00 pending: started to hold; fires at 08:20:00",
			"08:12:00 back to inactive: stopped holding after 2m of its for: 10m, so it did not fire",
		}},
		{"at a time", &ExplainQuery{At: t0.Add(6 * time.Minute)}, []string{
			"at 08:11:00: pending since 08:10:00, 1m of its for: 10m; fires at 08:20:00 if it still holds then",
			"at 08:11:00: firing since 08:10:00",
			"silenced by " + sil.ID[:12],
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := hist.String()
			if tc.q != nil {
				var b bytes.Buffer
				if err := Explain(&b, trail, cfg, *tc.q); err != nil {
					t.Fatal(err)
				}
				out = b.String()
			}
			for _, w := range tc.wants {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in\n%s", w, out)
				}
			}
			if strings.Contains(out, "xoxb-decisions-test-token") {
				t.Errorf("a secret in the records:\n%s", out)
			}
			checkGolden(t, filepath.Join("..", "testdata", "decisions", strings.ReplaceAll(tc.name, " ", "-")+".golden"),
				normalizeRun(out, sil.ID))
		})
	}
}
