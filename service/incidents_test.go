package service

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/incident"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/sinks"
)

func diffSnapshot(t *testing.T, dir, name string) *oms.Snapshot {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "diff", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := oms.ParseSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A step that fails and recovers, through the whole pipeline: the
// incident opens with the failure, gathers the recovery's events, and
// resolves after resolve_hold (2) polls without the failure; its events
// reach the targets as any event does, each once, even when a hand-off is
// repeated (a crash before the snapshot was saved); the record is in KV.
func TestPipelineFollowsAnIncident(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	// resolve_after 0s: the incident resolves at resolve_hold polls, a minute apart here.
	d, js, out := startDelivery(ctx, t, "oms: {mode: sim}\nstore:\n  dir: unused\nincidents:\n  enabled: true\n  resolve_after: 0s\n"+
		"  runbooks:\n    - {match: CM-RESO*, link: https://wiki.example.com/oms/reso}\n")
	running := diffSnapshot(t, "sim_lag-fail-recover_step_error_raised", "old.json")
	failed := diffSnapshot(t, "sim_lag-fail-recover_step_error_raised", "new.json")
	failedAgain := diffSnapshot(t, "sim_lag-fail-recover_step_error_cleared", "old.json")
	recovered := diffSnapshot(t, "sim_lag-fail-recover_step_error_cleared", "new.json")
	t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	changes := []poller.Change{
		{Current: running},
		{Previous: running, Current: failed},
		{Previous: running, Current: failed}, // repeated: the snapshot was not saved
		{Previous: failedAgain, Current: recovered},
		{Previous: recovered, Current: recovered, Quiet: true},
		{Previous: recovered, Current: recovered, Quiet: true},
	}
	for i, c := range changes {
		c.Source, c.Project, c.Time = "oms://cn-hangzhou", running.ID(), t0.Add(time.Duration(i)*time.Minute)
		if i == 2 {
			c.Time = t0.Add(time.Minute)
		}
		if err := d.Handler().Handle(ctx, c); err != nil {
			t.Fatalf("hand-off %d: %v", i, err)
		}
	}
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		e, err := sinks.DecodeEvent([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(e.Type, "oms.incident.") {
			got = append(got, e.Type+" "+e.Data.Text("state")+" "+e.Data.Text("title"))
			if e.Data.Text("runbook") != "https://wiki.example.com/oms/reso" {
				t.Errorf("%s has runbook %q", e.Type, e.Data.Text("runbook"))
			}
		}
	}
	want := []string{
		event.TypeIncidentOpened + " firing step INCR_TRANSFER failing: CM-RESOINCR0207",
		event.TypeIncidentUpdated + " firing step INCR_TRANSFER failing: CM-RESOINCR0207",
		event.TypeIncidentResolved + " resolved step INCR_TRANSFER failing: CM-RESOINCR0207",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("incident events\n got  %q\n want %q", got, want)
	}
	store, err := incident.OpenKVStore(ctx, js, "omswatch-incidents")
	if err != nil {
		t.Fatal(err)
	}
	all, err := store.List(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("stored %+v %v", all, err)
	}
	if in := all[0]; in.State != incident.Resolved || in.Lasted(t0) != 3*time.Minute || len(in.Events) < 3 {
		t.Errorf("incident %+v", in)
	}
}

// An escalated incident's event goes to the escalation targets as well,
// once each, besides its routes.
func TestEscalateAddsTargets(t *testing.T) {
	e := event.Event{ID: "e1", Type: event.TypeIncidentUpdated}
	for _, tc := range []struct {
		name   string
		routed []string
		to     []string
		want   []string
	}{
		{"added", []string{"oncall"}, []string{"pager"}, []string{"oncall", "pager"}},
		{"already routed", []string{"pager"}, []string{"pager"}, []string{"pager"}},
		{"none routed", nil, []string{"pager", "oncall"}, []string{"pager", "oncall"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ds []sinks.Delivery
			for _, r := range tc.routed {
				ds = append(ds, sinks.Delivery{Event: e, Target: r})
			}
			var got []string
			for _, d := range escalate(ds, e, tc.to) {
				got = append(got, d.Target)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("targets %v, want %v", got, tc.want)
			}
		})
	}
}
