package service

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
)

// slackRecorder is an httptest server speaking the two Slack Web API
// methods a channel target uses, recording each message.
type slackRecorder struct {
	mu    sync.Mutex
	posts []slackPost
	n     int
}

type slackPost struct{ method, threadTS, text string }

func (r *slackRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	_ = req.ParseForm()
	r.mu.Lock()
	r.n++
	ts := fmt.Sprintf("1700000000.%06d", r.n)
	if t := req.FormValue("ts"); t != "" {
		ts = t
	}
	r.posts = append(r.posts, slackPost{method: filepath.Base(req.URL.Path), threadTS: req.FormValue("thread_ts"), text: req.FormValue("text")})
	r.mu.Unlock()
	fmt.Fprintf(w, `{"ok":true,"channel":"C0CHANNEL","ts":%q}`, ts)
}

// failedProject is the failed snapshot of the recording as project id.
func failedProject(t *testing.T, id string) *oms.Snapshot {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "diff", "sim_lag-fail-recover_step_error_raised", "new.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := oms.ParseSnapshot(bytes.ReplaceAll(b, []byte("np_lzubz1i86txw"), []byte(id)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Twenty projects failing with the same error code within a minute post
// one fleet incident in Slack, not twenty: one parent message, each
// project's opening a reply in its thread.
func TestTwentyProjectsFailingTogetherAreOneFleetIncident(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	rec := &slackRecorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	d, _, _ := startDelivery(ctx, t, "oms: {mode: sim}\nstore:\n  dir: unused\nincidents:\n  enabled: true\n"+
		"slack:\n  token: xoxb-test\n  api_url: "+srv.URL+"/api/\n  rate_limit: 1000/s\n  targets:\n    oncall: {channel: \"#oms\"}\n"+
		"rules:\n  group_by: [type]\n  group_wait: 1s\n  routes:\n    - match: {types: [\"oms.incident.*\"]}\n      to: [oncall]\n")
	t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	for i := range 20 {
		s := failedProject(t, fmt.Sprintf("np_fleet%02d", i))
		c := poller.Change{Source: "oms://cn-hangzhou", Project: s.ID(), Current: s, Time: t0.Add(time.Duration(i) * 3 * time.Second)}
		if err := d.Handler().Handle(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	parents, replies := 0, 0
	for _, p := range rec.posts {
		switch {
		case p.method == "chat.postMessage" && p.threadTS == "":
			parents++
		case p.method == "chat.postMessage":
			replies++
			if !strings.Contains(p.text, "Incident opened") {
				t.Errorf("reply %q", p.text)
			}
		}
	}
	if parents != 1 || replies != 20 {
		t.Errorf("%d parent messages and %d replies; want 1 and 20", parents, replies)
	}
}
