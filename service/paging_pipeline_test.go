package service

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/secret"
)

// pagers is a local Alertmanager and PagerDuty in one server: for each
// incident, how often its alert started firing and resolved, and the
// PagerDuty actions of its dedup_key.
type pagers struct {
	mu       sync.Mutex
	firing   map[string]bool
	fired    map[string]int
	resolved map[string]int
	actions  map[string][]string
	keys     []string
}

func (p *pagers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch r.URL.Path {
	case "/api/v2/alerts":
		var alerts []struct {
			Labels map[string]string
			EndsAt time.Time
		}
		if err := json.NewDecoder(r.Body).Decode(&alerts); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, a := range alerts {
			id, fires := a.Labels["incident"], a.EndsAt.After(time.Now())
			switch {
			case fires && !p.firing[id]:
				p.fired[id]++
			case !fires && p.firing[id]:
				p.resolved[id]++
			}
			p.firing[id] = fires
		}
		w.WriteHeader(http.StatusOK)
	case "/v2/enqueue":
		var e struct {
			RoutingKey  string `json:"routing_key"`
			EventAction string `json:"event_action"`
			DedupKey    string `json:"dedup_key"`
		}
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.keys = append(p.keys, e.RoutingKey)
		p.actions[e.DedupKey] = append(p.actions[e.DedupKey], e.EventAction)
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"status":"success","dedup_key":%q}`, e.DedupKey)
	default:
		http.NotFound(w, r)
	}
}

// Issue 16, point 8, through the whole pipeline: a step fails (the
// hand-off repeated, as after a crash), someone acknowledges the incident,
// the step recovers and the incident resolves. Alertmanager sees its
// alert fire once and resolve once; PagerDuty gets one trigger, one
// acknowledge and one resolve with the incident id as dedup_key.
func TestPagersFollowAnIncident(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	p := &pagers{firing: map[string]bool{}, fired: map[string]int{}, resolved: map[string]int{}, actions: map[string][]string{}}
	hs := httptest.NewServer(p)
	defer hs.Close()
	srv, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	doc := fmt.Sprintf("oms: {mode: sim}\nnats:\n  url: %s\nincidents:\n  enabled: true\n  resolve_after: 0s\n"+
		"alertmanager:\n  targets:\n    am: {url: %s}\npagerduty:\n  targets:\n    pd: {routing_key: %s, url: %s}\n"+
		"rules:\n  routes:\n    - match: {types: [\"oms.incident.*\"]}\n      to: [am, pd]\n", srv.ClientURL(), hs.URL, pdKey, hs.URL)
	cfg, err := config.Load([]byte(doc), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	d, err := newDelivery(ctx, cfg, js, deliveryOptions{stdout: &proctest.Buffer{}, logFormat: "json", red: &secret.Redactor{}, log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	running := diffSnapshot(t, "sim_lag-fail-recover_step_error_raised", "old.json")
	failed := diffSnapshot(t, "sim_lag-fail-recover_step_error_raised", "new.json")
	failedAgain := diffSnapshot(t, "sim_lag-fail-recover_step_error_cleared", "old.json")
	recovered := diffSnapshot(t, "sim_lag-fail-recover_step_error_cleared", "new.json")
	t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	handle := func(i int, c poller.Change) {
		t.Helper()
		c.Source, c.Project, c.Time = "oms://cn-hangzhou", running.ID(), t0.Add(time.Duration(i)*time.Minute)
		if err := d.Handler().Handle(ctx, c); err != nil {
			t.Fatalf("hand-off %d: %v", i, err)
		}
	}
	handle(0, poller.Change{Current: running})
	handle(1, poller.Change{Previous: running, Current: failed})
	handle(1, poller.Change{Previous: running, Current: failed}) // repeated: the snapshot was not saved
	id := incidentID(ctx, t, js)
	var out strings.Builder
	if err := Incidents(ctx, cfg, IncidentRequest{Action: "ack", ID: id, By: "alice", Now: t0.Add(2 * time.Minute)}, &out, log); err != nil {
		t.Fatal(err)
	}
	handle(3, poller.Change{Previous: failedAgain, Current: recovered})
	handle(4, poller.Change{Previous: recovered, Current: recovered, Quiet: true})
	handle(5, poller.Change{Previous: recovered, Current: recovered, Quiet: true})
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fired[id] != 1 || p.resolved[id] != 1 || len(p.fired) != 1 {
		t.Errorf("Alertmanager: incident %s fired %d times and resolved %d times (alerts %v); want once each", id, p.fired[id], p.resolved[id], p.fired)
	}
	if got := strings.Join(p.actions[id], ","); got != "trigger,acknowledge,resolve" || len(p.actions) != 1 {
		t.Errorf("PagerDuty: %v, want trigger,acknowledge,resolve for %s", p.actions, id)
	}
	for _, k := range p.keys {
		if k != pdKey {
			t.Errorf("routing key %q, want the configured one", k)
		}
	}
}
