package service

import (
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// TestWhereAnEventWent: the line of each target says the last attempt's
// outcome in words, and an event routed nowhere says why.
func TestWhereAnEventWent(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 3, 5, 0, time.UTC)
	e := event.Event{ID: "ev1", Source: "oms://r", Type: event.TypeStepStatusChanged, Subject: "np_1", Time: at}
	attempt := func(n int, outcome, errText string, rc *sinks.Receipt) sinks.Record {
		d := &sinks.DeliveryRecord{Target: "dba", Notification: "3f2a", Events: []string{"ev1"}, Attempt: n, Outcome: outcome, Error: errText}
		if rc != nil {
			d.Receipts = map[string]sinks.Receipt{"ev1": *rc}
		}
		if outcome == sinks.OutcomeRetrying {
			d.RetryIn = "5s"
		}
		return sinks.Record{Kind: sinks.RecordDelivery, Time: at.Add(time.Duration(n) * time.Second), Delivery: d}
	}
	for _, tc := range []struct {
		name    string
		routing *sinks.Routing
		targets []string
		recs    []sinks.Record
		want    string
	}{
		{"delivered to Slack", &sinks.Routing{}, []string{"dba"},
			[]sinks.Record{attempt(1, sinks.OutcomeDelivered, "", &sinks.Receipt{Channel: "C1", TS: "1712.000100"})},
			"-> #oms-dba (dba) (delivered 12:03:06, ts 1712.000100)"},
		{"delivered to a webhook after retries", &sinks.Routing{}, []string{"dba"},
			[]sinks.Record{attempt(1, sinks.OutcomeRetrying, "webhook dba: 503", nil), attempt(2, sinks.OutcomeDelivered, "", &sinks.Receipt{Status: 202})},
			"-> #oms-dba (dba) (delivered 12:03:07 after 2 attempts, HTTP 202)"},
		{"still retrying", &sinks.Routing{}, []string{"dba"},
			[]sinks.Record{attempt(3, sinks.OutcomeRetrying, "slack chat.postMessage: 500", nil)},
			"-> #oms-dba (dba) (attempt 3 failed 12:03:08: slack chat.postMessage: 500; retrying in 5s)"},
		{"dead-lettered", &sinks.Routing{}, []string{"dba"},
			[]sinks.Record{attempt(100, sinks.OutcomeDeadLettered, "slack chat.postMessage: channel_not_found", nil)},
			"-> #oms-dba (dba) (dead-lettered 12:04:45 after 100 attempts: slack chat.postMessage: channel_not_found)"},
		{"waiting", &sinks.Routing{}, []string{"dba"}, nil, "-> #oms-dba (dba) (no delivery recorded yet)"},
		{"routed nowhere", &sinks.Routing{}, nil, nil, "sent nowhere: no route took it and rules.default_to is empty"},
		{"once_per", &sinks.Routing{Routes: []sinks.RouteRecord{{Name: "errors", Where: "rules.yaml:7", Action: "once_per", Key: "FULL/E1"}}}, nil, nil,
			`not sent by route errors (rules.yaml:7): its once_per key "FULL/E1" was sent before`},
		{"muted resolution", &sinks.Routing{Muted: &sinks.MuteRecord{Inherited: "silenced by 7f3a"}}, nil, nil,
			"not sent: the firing it resolves was muted (silenced by 7f3a)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &Trail{Project: "np_1", Display: map[string]string{"dba": "#oms-dba (dba)"},
				Events: []TrailEvent{{StoredEvent: sinks.StoredEvent{Event: e}, Routing: tc.routing, Targets: tc.targets, Deliveries: tc.recs}}}
			got := strings.Join(tr.whereWent(&tr.Events[0]), "\n")
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
