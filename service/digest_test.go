package service

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/incident"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/rules/kvstate"
	"github.com/omswatch/omswatch/sinks"
)

// digestNow is the time of the digests of the known store state.
var digestNow = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

const digestSource = "oms://cn-hangzhou"

// digestProjects are the fleet of the known store state: id, name,
// status, the state of its incremental step, its sync delay in seconds
// (-1: none reported) and how long ago its last event was.
var digestProjects = []struct {
	id, name, status, incr string
	delay                  int
	ago                    time.Duration
}{
	{"np_billing", "billing_mysql_to_ob", "RUNNING", "MONITORING", 1800, time.Hour},
	{"np_orders", "orders_mysql_to_ob", "RUNNING", "MONITORING", 600, 2 * time.Hour},
	{"np_users", "users_pg_to_ob", "FAILED", "FAILED", 5400, 3 * time.Hour},
	{"np_archive", "archive_ora_to_ob", "RUNNING", "MONITORING", 5, 10 * 24 * time.Hour},
	{"np_full", "reports_full_load", "RUNNING", "INIT", -1, 30 * time.Minute},
	{"np_done", "legacy_done", "FINISHED", "FINISHED", -1, 30 * 24 * time.Hour},
}

// seedDigestStore writes the known store state: the projects' snapshots,
// their incidents (an open one acknowledged and catching up, an open one
// nobody took, one resolved since the last digest, one resolved before
// it) and each project's last event in the audit trail.
func seedDigestStore(ctx context.Context, t *testing.T, js jetstream.JetStream, cfg *config.Config) {
	t.Helper()
	snaps, err := poller.NewKVStore(ctx, js, poller.KVOptions{Bucket: cfg.Store.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := sinks.NewOutbox(ctx, js, sinks.OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range digestProjects {
		extra := ""
		if p.delay >= 0 {
			extra = fmt.Sprintf(`,"ExtraInfo":{"SyncDelay":%d}`, p.delay)
		}
		snap := parse(t, fmt.Sprintf(`{"Id":%q,"Name":%q,"Status":%q,"Type":"MIGRATION","Steps":[`+
			`{"Name":"TRANSFER_PRECHECK","Status":"FINISHED","Order":1},{"Name":"FULL_TRANSFER","Status":%q,"Order":2},`+
			`{"Name":"INCR_TRANSFER","Status":%q,"Order":3}]%s}`, p.id, p.name, p.status, fullStatus(p.incr), p.incr, extra))
		if _, err := snaps.Put(ctx, digestSource, p.id, poller.Record{Snapshot: snap, ObservedAt: digestNow, Status: p.status}); err != nil {
			t.Fatal(err)
		}
		e := event.Event{ID: "ev-" + p.id, Source: digestSource, Type: event.TypeProjectStatusChanged, Subject: p.id,
			Time: digestNow.Add(-p.ago), Severity: event.Info,
			Data: event.Data{Project: event.Project{ID: p.id, Name: p.name, Status: p.status}, Fields: map[string]any{"from": "INIT", "to": p.status}}}
		if err := outbox.Publish(ctx, []sinks.Entry{{Event: e}}); err != nil {
			t.Fatal(err)
		}
	}
	// The rules keep the delays of orders' last polls: falling behind by
	// 60 s/min, an ETA with no incident.
	rulesState, err := kvstate.NewStore(ctx, js, kvstate.Options{Bucket: cfg.Rules.StateBucket})
	if err != nil {
		t.Fatal(err)
	}
	var st rules.State
	for i, d := range []int{420, 480, 540, 600} {
		st.Delays = append(st.Delays, oms.DelaySample{At: digestNow.Add(time.Duration(i-4) * time.Minute), Delay: time.Duration(d) * time.Second})
	}
	if err := rulesState.Save(ctx, digestSource, "np_orders", st); err != nil {
		t.Fatal(err)
	}
	incs, err := incident.NewKVStore(ctx, js, incident.KVOptions{Bucket: cfg.Incidents.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	inc := func(id, project, name string, kind, cause string, sev event.Severity, started time.Time) incident.Incident {
		return incident.Incident{ID: id, Source: digestSource, Project: event.Project{ID: project, Name: name},
			Cause: incident.Cause{Kind: kind, Name: cause}, State: incident.Firing, Severity: sev, Started: started, Updated: started}
	}
	billing := inc("inc-b111111111", "np_billing", "billing_mysql_to_ob", incident.KindCondition, "incr_delay_high", event.Warning, digestNow.Add(-3*time.Hour))
	billing.State, billing.Ack = incident.Acknowledged, &incident.Ack{By: "alice", At: digestNow.Add(-2 * time.Hour)}
	for i, d := range []int{2400, 2200, 2000, 1800} { // catching up by 200 s/min: 9 minutes to go
		billing.Delays = append(billing.Delays, incident.Sample{At: digestNow.Add(time.Duration(i-4) * time.Minute), Delay: time.Duration(d) * time.Second})
	}
	users := inc("inc-u222222222", "np_users", "users_pg_to_ob", incident.KindStep, "INCR_TRANSFER", event.Critical, digestNow.Add(-26*time.Hour))
	users.Error = &incident.Error{Code: "CM-RESOINCR0207"}
	ordersOld := inc("inc-o333333333", "np_orders", "orders_mysql_to_ob", incident.KindPoll, "", event.Warning, digestNow.Add(-50*time.Hour))
	ordersOld.State, ordersOld.Ended, ordersOld.Reason = incident.Resolved, digestNow.Add(-49*time.Hour), "cleared"
	orders := inc("inc-o444444444", "np_orders", "orders_mysql_to_ob", incident.KindCondition, "incr_delay_high", event.Warning, digestNow.Add(-5*time.Hour))
	orders.State, orders.Ended, orders.Reason = incident.Resolved, digestNow.Add(-4*time.Hour-18*time.Minute), "cleared"
	for _, r := range []struct {
		project string
		rec     incident.Record
	}{
		{"np_billing", incident.Record{Open: []incident.Incident{billing}}},
		{"np_users", incident.Record{Open: []incident.Incident{users}}},
		{"np_orders", incident.Record{Resolved: []incident.Incident{ordersOld, orders}}},
	} {
		if _, err := incs.Save(ctx, digestSource, r.project, r.rec, 0); err != nil {
			t.Fatal(err)
		}
	}
}

func fullStatus(incr string) string {
	if incr == "INIT" {
		return "RUNNING"
	}
	return "FINISHED"
}

// The digest of a known store state, as `omswatch digest` prints it in
// text and JSON: the fleet by status and phase, the open incidents with
// who took them, the delays with the ETA an incident's samples give, the
// incidents opened and resolved in the last day, the quiet projects.
func TestDigestOfAKnownStore(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	srv, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	for _, tc := range []struct {
		name, incidents string
		json            bool
	}{
		{"text", "true", false},
		{"json", "true", true},
		{"incidents-off", "false", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load([]byte("oms: {mode: sim}\nnats:\n  url: "+srv.ClientURL()+"\nincidents:\n  enabled: "+tc.incidents+"\n"), "test.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "text" {
				seedDigestStore(ctx, t, js, cfg)
			}
			var out bytes.Buffer
			r := DigestRequest{Now: digestNow, JSON: tc.json}
			if err := Digest(ctx, cfg, r, &out, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "digest", tc.name+".golden"), out.Bytes())
		})
	}
}
