package alertmanager_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks/alertmanager"
)

// clock is the tests' injected time.
var clock = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// fakeAM speaks Alertmanager's /api/v2/alerts: it keeps each alert by its
// labels, and counts for each incident how often it started firing and
// how often it resolved. answer, if set, may fail request n (from 1) with
// a status and a Retry-After.
type fakeAM struct {
	t      *testing.T
	now    func() time.Time
	answer func(n int, alerts []alertmanager.Alert) (int, string)

	mu       sync.Mutex
	requests int
	firing   map[string]bool               // by label set
	last     map[string]alertmanager.Alert // the last post of each label set
	lists    int                           // GET requests
	triggers map[string]int                // by incident
	resolves map[string]int                // by incident
	posts    []alertmanager.Alert
	bad      []string
}

func newFakeAM(t *testing.T) *fakeAM {
	return &fakeAM{t: t, now: func() time.Time { return clock }, firing: map[string]bool{}, last: map[string]alertmanager.Alert{}, triggers: map[string]int{}, resolves: map[string]int{}}
}

func (f *fakeAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if r.Method == http.MethodGet && r.URL.Path == "/api/v2/alerts" {
		// Alertmanager lists the active alerts matching filter.
		f.lists++
		want := r.URL.Query().Get("filter")
		var out []alertmanager.Alert
		for key, a := range f.last {
			if f.firing[key] && (want == "" || want == `alertname="`+a.Labels["alertname"]+`"`) {
				out = append(out, a)
			}
		}
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/v2/alerts" || r.Header.Get("Content-Type") != "application/json" {
		f.bad = append(f.bad, r.Method+" "+r.URL.Path)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var alerts []alertmanager.Alert
	if err := json.NewDecoder(r.Body).Decode(&alerts); err != nil {
		http.Error(w, `{"code":400,"message":"bad json"}`, http.StatusBadRequest)
		return
	}
	if f.answer != nil {
		if code, retry := f.answer(f.requests, alerts); code != 0 {
			if retry != "" {
				w.Header().Set("Retry-After", retry)
			}
			http.Error(w, fmt.Sprintf(`{"code":%d,"message":"refused"}`, code), code)
			return
		}
	}
	for _, a := range alerts {
		f.posts = append(f.posts, a)
		if a.Labels["alertname"] == "" || a.StartsAt.IsZero() || a.EndsAt.IsZero() {
			f.bad = append(f.bad, fmt.Sprintf("incomplete alert %+v", a))
		}
		key, _ := json.Marshal(a.Labels) // maps marshal sorted: the label set
		inc := a.Labels["incident"]
		switch fires := a.EndsAt.After(f.now()); {
		case fires && !f.firing[string(key)]:
			f.triggers[inc]++
		case !fires && f.firing[string(key)]:
			f.resolves[inc]++
		}
		f.firing[string(key)] = a.EndsAt.After(f.now())
		f.last[string(key)] = a
	}
	w.WriteHeader(http.StatusOK)
}

// incidentEvent is one event of incident id's life.
func incidentEvent(id, typ string, seq int, sev event.Severity) event.Event {
	state := map[string]string{event.TypeIncidentOpened: "firing", event.TypeIncidentUpdated: "firing",
		event.TypeIncidentAcknowledged: "acknowledged", event.TypeIncidentResolved: "resolved"}[typ]
	at := clock.Add(-time.Hour + time.Duration(seq)*time.Minute)
	f := map[string]any{"incident": id, "cause": "step:INCR_TRANSFER", "title": "step INCR_TRANSFER failing: CM-RESOINCR0207",
		"state": state, "started": clock.Add(-time.Hour).Format(time.RFC3339), "events": []any{},
		"error": map[string]any{"code": "CM-RESOINCR0207", "message": "binlog purged"}}
	if typ == event.TypeIncidentAcknowledged {
		f["acked_by"] = "alice"
	}
	if typ == event.TypeIncidentResolved {
		f["lasted"], f["reason"] = "30m0s", "cleared"
	}
	return event.Event{ID: event.NewID("oms://r", "np_"+id, typ, id+"#"+fmt.Sprint(seq), ""), Source: "oms://r", Type: typ,
		Subject: "np_" + id, Severity: sev, Time: at,
		Data: event.Data{Project: event.Project{ID: "np_" + id, Name: "orders_" + id}, Fields: f}}
}

// lifecycle is an incident's events from opening to resolution.
func lifecycle(id string) []event.Event {
	return []event.Event{
		incidentEvent(id, event.TypeIncidentOpened, 1, event.Warning),
		incidentEvent(id, event.TypeIncidentUpdated, 2, event.Critical),
		incidentEvent(id, event.TypeIncidentAcknowledged, 3, event.Info),
		incidentEvent(id, event.TypeIncidentResolved, 4, event.Info),
	}
}
