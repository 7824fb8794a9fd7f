package service

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/incident"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

// `omswatch incident` against the NATS a running omswatch uses: list and
// show what the pipeline opened, ack with who and a comment, resolve by
// hand; each change is in the incident's record and its event in the
// audit trail (history) with who did it.
func TestIncidentCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	srv, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	cfg, err := config.Load([]byte("oms: {mode: sim}\nnats:\n  url: "+srv.ClientURL()+"\nincidents:\n  enabled: true\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	d, err := newDelivery(ctx, cfg, js, deliveryOptions{stdout: &proctest.Buffer{}, logFormat: "json", red: &secret.Redactor{}, log: log})
	if err != nil {
		t.Fatal(err)
	}
	failed := diffSnapshot(t, "sim_lag-fail-recover_step_error_raised", "new.json")
	t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	if err := d.Handler().Handle(ctx, poller.Change{Source: "oms://cn-hangzhou", Project: failed.ID(), Current: failed, Time: t0}); err != nil {
		t.Fatal(err)
	}
	id := incidentID(ctx, t, js)
	steps := []struct {
		name    string
		req     IncidentRequest
		want    []string
		wantErr string
	}{
		{"list", IncidentRequest{Action: "list"}, []string{id, "firing", "critical", "billing_mysql_to_ob_001", "step INCR_TRANSFER failing: CM-RESOINCR0207", "10m0s"}, ""},
		{"ack needs who", IncidentRequest{Action: "ack", ID: id}, nil, "say who you are with --by"},
		{"unknown id", IncidentRequest{Action: "show", ID: "inc-nothing"}, nil, "incident inc-nothing: no such incident"},
		{"ack", IncidentRequest{Action: "ack", ID: id[:8], By: "alice", Comment: "restarting the step"},
			[]string{"oms.incident.acknowledged", "incident " + id + " acknowledged by alice", "(restarting the step)"}, ""},
		{"show", IncidentRequest{Action: "show", ID: id}, []string{"acknowledged", "taken by:    alice at 2026-12-01T03:10:00Z: restarting the step"}, ""},
		{"resolve", IncidentRequest{Action: "resolve", ID: id, By: "bob"}, []string{"oms.incident.resolved", "resolved after 10m0s by bob"}, ""},
		{"resolve again", IncidentRequest{Action: "resolve", ID: id, By: "bob"}, nil, "the incident has already resolved"},
		{"list after", IncidentRequest{Action: "list"}, []string{"no open incidents"}, ""},
		{"list all", IncidentRequest{Action: "list", All: true}, []string{id, "resolved", "alice"}, ""},
	}
	for _, tc := range steps {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			tc.req.Now = t0.Add(10 * time.Minute)
			err := Incidents(ctx, cfg, tc.req, &out, log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
	events, err := sinks.History(ctx, js, sinks.HistoryQuery{Project: failed.ID()})
	if err != nil {
		t.Fatal(err)
	}
	var by []string
	for _, se := range events {
		if b := se.Event.Data.Text("by"); b != "" {
			by = append(by, se.Event.Type+" "+b)
		}
	}
	if strings.Join(by, ", ") != "oms.incident.acknowledged alice, oms.incident.resolved bob" {
		t.Errorf("the audit trail has %q", by)
	}
}

func incidentID(ctx context.Context, t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	store, err := incident.OpenKVStore(ctx, js, "omswatch-incidents")
	if err != nil {
		t.Fatal(err)
	}
	all, err := store.List(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("incidents %+v %v", all, err)
	}
	return all[0].ID
}
