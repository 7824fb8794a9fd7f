package pagerduty_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/pagerduty"
	"github.com/omswatch/omswatch/sinks/sinktest"
)

const routingKey = "R0UTINGKEYsecret0123456789abcdef"

var clock = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// fakePD speaks the Events API v2's /v2/enqueue as PagerDuty does: 202
// with a dedup_key, 400 (echoing the routing key, as careless servers do)
// for an invalid event. It counts the actions per dedup_key. answer, if
// set, may fail request n (from 1) with a status and a Retry-After.
type fakePD struct {
	answer func(n int, e pagerduty.Event) (int, string)

	mu       sync.Mutex
	requests int
	actions  map[string][]string // by dedup_key
	triggers []pagerduty.Event
}

func newFakePD() *fakePD { return &fakePD{actions: map[string][]string{}} }

func (f *fakePD) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	var e pagerduty.Event
	if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" || json.NewDecoder(r.Body).Decode(&e) != nil {
		http.Error(w, `{"status":"invalid request"}`, http.StatusBadRequest)
		return
	}
	if f.answer != nil {
		if code, retry := f.answer(f.requests, e); code != 0 {
			if retry != "" {
				w.Header().Set("Retry-After", retry)
			}
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"status":"refused","message":"refused","errors":["routing key %s"]}`, e.RoutingKey)
			return
		}
	}
	valid := e.RoutingKey == routingKey && e.DedupKey != "" &&
		slices.Contains([]string{pagerduty.Trigger, pagerduty.Acknowledge, pagerduty.Resolve}, e.EventAction)
	if e.EventAction == pagerduty.Trigger {
		valid = valid && e.Payload != nil && e.Payload.Summary != "" && e.Payload.Source != "" &&
			slices.Contains([]string{"critical", "error", "warning", "info"}, e.Payload.Severity)
	}
	if !valid {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"status":"invalid event","message":"Event object is invalid","errors":["routing key %s"]}`, e.RoutingKey)
		return
	}
	f.actions[e.DedupKey] = append(f.actions[e.DedupKey], e.EventAction)
	if e.EventAction == pagerduty.Trigger {
		f.triggers = append(f.triggers, e)
	}
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"status":"success","message":"Event processed","dedup_key":%q}`, e.DedupKey)
}

// incidentEvent is one event of incident id's life.
func incidentEvent(id, typ string, seq int, sev event.Severity) event.Event {
	state := map[string]string{event.TypeIncidentOpened: "firing", event.TypeIncidentUpdated: "firing",
		event.TypeIncidentAcknowledged: "acknowledged", event.TypeIncidentResolved: "resolved"}[typ]
	f := map[string]any{"incident": id, "cause": "step:INCR_TRANSFER", "title": "step INCR_TRANSFER failing: CM-RESOINCR0207",
		"state": state, "started": clock.Add(-time.Hour).Format(time.RFC3339), "events": []any{},
		"error": map[string]any{"code": "CM-RESOINCR0207", "message": "binlog purged"}, "runbook": "https://wiki.example/cm-reso"}
	return event.Event{ID: event.NewID("oms://r", "np_"+id, typ, id+"#"+fmt.Sprint(seq), ""), Source: "oms://r", Type: typ,
		Subject: "np_" + id, Severity: sev, Time: clock.Add(time.Duration(seq) * time.Minute),
		Data: event.Data{Project: event.Project{ID: "np_" + id, Name: "orders_" + id}, Fields: f}}
}

// lifecycle is an incident's events from opening to resolution, with an
// acknowledgement if acked.
func lifecycle(id string, acked bool) []event.Event {
	out := []event.Event{incidentEvent(id, event.TypeIncidentOpened, 1, event.Warning),
		incidentEvent(id, event.TypeIncidentUpdated, 2, event.Critical)}
	if acked {
		out = append(out, incidentEvent(id, event.TypeIncidentAcknowledged, 3, event.Info))
	}
	return append(out, incidentEvent(id, event.TypeIncidentUpdated, 4, event.Critical),
		incidentEvent(id, event.TypeIncidentResolved, 5, event.Info))
}

// deliver publishes events for target pd and runs the dispatcher until
// they are all delivered or dead-lettered; it returns the dead letters'
// count and the first one's reason.
// log and red are the dispatcher's logger and redactor, as the service
// gives them.
func deliver(t *testing.T, s sinks.Sink, events []event.Event, log *slog.Logger, red *secret.Redactor) (uint64, string) {
	t.Helper()
	srv := sinktest.StartNATS(t, 0)
	_, js := sinktest.Connect(t, srv)
	ob, err := sinks.NewOutbox(t.Context(), js, sinks.OutboxOptions{MaxAge: time.Hour, DedupWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	d, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: ob, BatchSize: 16, InitialBackoff: time.Millisecond,
		Targets: []sinks.Target{{Name: "pd", Sink: s}}, Logger: log, Redactor: red})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var es []sinks.Entry
	for _, e := range events {
		es = append(es, sinks.Entry{Event: e, Deliveries: []sinks.Delivery{{Event: e, Target: "pd", RouteIndex: -1}}})
	}
	if err := ob.Publish(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	return deadLetters(t, js)
}

func deadLetters(t *testing.T, js jetstream.JetStream) (uint64, string) {
	t.Helper()
	st, err := js.Stream(t.Context(), sinks.DefaultDeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs == 0 {
		return 0, ""
	}
	m, err := st.GetMsg(t.Context(), info.State.FirstSeq)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs, m.Header.Get(sinks.HeaderReason)
}
