package service

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

const pdKey = "PDkeySECRET0123456789abcdefABCDE"

// `omswatch test` on an Alertmanager or a PagerDuty target reaches the
// API without paging anyone: a resolved alert, a resolve of a test
// dedup_key; the routing key is in no answer.
func TestTestTargetPagesNobody(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] = string(b)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	doc := fmt.Sprintf("oms: {mode: sim}\nalertmanager:\n  targets:\n    am: {url: %s, labels: {team: dba}}\n"+
		"pagerduty:\n  targets:\n    pd: {routing_key: %s, url: %s}\n", srv.URL, pdKey, srv.URL)
	cfg, err := config.Load([]byte(doc), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		target, path, want, body string
	}{
		{"am", "/api/v2/alerts", "a resolved test alert", `"alertname":"OmswatchTest"`},
		{"pd", "/v2/enqueue", "a resolve of the test dedup_key omswatch-test-", `"event_action":"resolve"`},
	}
	for _, tc := range cases {
		t.Run(tc.target, func(t *testing.T) {
			red := &secret.Redactor{}
			out, err := TestTarget(t.Context(), cfg, tc.target, TestOptions{Redactor: red})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			body := got[tc.path]
			mu.Unlock()
			if !strings.Contains(out, tc.want) || strings.Contains(out, pdKey) || !strings.Contains(body, tc.body) {
				t.Errorf("answer %q, body %s", out, body)
			}
			if tc.target == "am" {
				var alerts []struct{ StartsAt, EndsAt string }
				if err := json.Unmarshal([]byte(body), &alerts); err != nil || len(alerts) != 1 || alerts[0].StartsAt != alerts[0].EndsAt {
					t.Errorf("test alert %s is not resolved at once (%v)", body, err)
				}
			}
		})
	}
}

// countingResender counts its running loops.
type countingResender struct {
	mu      sync.Mutex
	running int
	started chan struct{}
}

func (c *countingResender) Send(context.Context, sinks.Notification) error { return nil }

func (c *countingResender) Run(ctx context.Context) {
	c.mu.Lock()
	c.running++
	c.mu.Unlock()
	c.started <- struct{}{}
	<-ctx.Done()
	c.mu.Lock()
	c.running--
	c.mu.Unlock()
}

// The resend timers run while the dispatcher does, once each, and stop
// with it; targets without one are left alone.
func TestResendLoopsFollowTheDispatcher(t *testing.T) {
	c := &countingResender{started: make(chan struct{}, 4)}
	r := newResendLoops([]sinks.Target{{Name: "am", Sink: c}, {Name: "log", Sink: sinks.SinkFunc(func(context.Context, sinks.Notification) error { return nil })}})
	for range 2 {
		r.start(t.Context())
		<-c.started
		r.start(t.Context()) // a restart replaces the loop
		<-c.started
		r.stop()
		c.mu.Lock()
		if c.running != 0 {
			t.Errorf("%d loops still running after stop", c.running)
		}
		c.mu.Unlock()
	}
	r.stop()
	var none *resendLoops
	none.start(t.Context())
	none.stop()
}
