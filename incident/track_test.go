package incident

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

var t0 = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)

// proj is a project whose step FULL_TRANSFER has status st (and an error
// when it FAILED).
func proj(st string) *oms.Project {
	s := oms.Step{Name: "FULL_TRANSFER", Status: st}
	if st == "FAILED" {
		s.Errors = []oms.StepError{{Code: "OMS-1105", Message: "connection refused", Reason: "the sink is down", Proposal: "check the sink"}}
	}
	return &oms.Project{ID: "np_1", Name: "orders", Status: "RUNNING", Steps: []oms.Step{s}}
}

func ev(typ string, sev event.Severity, fields map[string]any) event.Event {
	return event.Event{ID: typ + "-id", Type: typ, Subject: "np_1", Severity: sev,
		Data: event.Data{Project: event.Project{ID: "np_1"}, Fields: fields}}
}

// run feeds polls one minute apart and returns the incident event types
// in order, and the last record.
func run(t *testing.T, hold int, polls []Poll) ([]string, Record) {
	t.Helper()
	var rec Record
	var types []string
	for i, p := range polls {
		p.Source, p.Time = "oms://test", t0.Add(time.Duration(i)*time.Minute)
		p.Events = slices.Clone(p.Events)
		for j := range p.Events {
			p.Events[j].ID = fmt.Sprintf("e%d.%d", i, j) // each poll's events are new
		}
		var out []event.Event
		rec, out = Track(Options{ResolveHold: hold}, rec, p)
		for _, e := range out {
			if err := e.Validate(); err != nil {
				t.Fatalf("poll %d: %s: %v", i, e.Type, err)
			}
			types = append(types, e.Type+" "+e.Data.Text("cause"))
		}
	}
	return types, rec
}

func TestTrack(t *testing.T) {
	const (
		opened   = event.TypeIncidentOpened
		updated  = event.TypeIncidentUpdated
		resolved = event.TypeIncidentResolved
	)
	step := " step:FULL_TRANSFER"
	for _, tc := range []struct {
		name     string
		hold     int
		polls    []Poll
		want     []string
		open     int
		resolved int
	}{
		{name: "a failed step opens one incident", polls: []Poll{{Project: proj("RUNNING")}, {Project: proj("FAILED")}, {Project: proj("FAILED")}},
			want: []string{opened + step}, open: 1},
		{name: "it resolves after resolve_hold polls without it", polls: []Poll{{Project: proj("FAILED")}, {Project: proj("RUNNING")},
			{Project: proj("RUNNING")}, {Project: proj("RUNNING")}},
			want: []string{opened + step, resolved + step}, resolved: 1},
		{name: "a flapping step is one incident", polls: []Poll{{Project: proj("FAILED")}, {Project: proj("RUNNING")},
			{Project: proj("FAILED")}, {Project: proj("RUNNING")}, {Project: proj("FAILED")}, {Project: proj("RUNNING")}, {Project: proj("RUNNING")}},
			want: []string{opened + step, updated + step, updated + step, resolved + step}, resolved: 1},
		{name: "resolve_hold 1 resolves at the first poll without it", hold: 1, polls: []Poll{{Project: proj("FAILED")}, {Project: proj("RUNNING")}},
			want: []string{opened + step, resolved + step}, resolved: 1},
		{name: "a condition fires and resolves", polls: []Poll{
			{Project: proj("RUNNING"), Firing: []string{"incr_delay_high"}, Events: []event.Event{ev(event.TypeConditionFiring, event.Warning, map[string]any{"rule": "incr_delay_high"})}},
			{Project: proj("RUNNING"), Firing: []string{"incr_delay_high"}},
			{Project: proj("RUNNING"), Events: []event.Event{ev(event.TypeConditionResolved, event.Info, map[string]any{"rule": "incr_delay_high"})}},
			{Project: proj("RUNNING")}},
			want: []string{opened + " condition:incr_delay_high", updated + " condition:incr_delay_high", resolved + " condition:incr_delay_high"}, resolved: 1},
		{name: "failing polls open one, a recovery resolves it", polls: []Poll{
			{Events: []event.Event{ev(event.TypePollFailing, event.Warning, map[string]any{"error_code": "Timeout", "failures": 3})}},
			{Project: proj("RUNNING"), Events: []event.Event{ev(event.TypePollRecovered, event.Info, map[string]any{"failures": 3})}},
			{Project: proj("RUNNING")}},
			want: []string{opened + " poll", updated + " poll", resolved + " poll"}, resolved: 1},
		{name: "a condition firing on a failure joins the failure's incident", polls: []Poll{{Project: proj("FAILED")},
			{Project: proj("FAILED"), Firing: []string{"failed_for_2m"}, Events: []event.Event{ev(event.TypeConditionFiring, event.Critical, map[string]any{"rule": "failed_for_2m"})}}},
			want: []string{opened + step, updated + step}, open: 1},
		{name: "a project FAILED without a failed step", polls: []Poll{{Project: &oms.Project{ID: "np_1", Status: "FAILED"}}},
			want: []string{opened + " project:FAILED"}, open: 1},
		{name: "a removed project's incidents end", polls: []Poll{{Project: proj("FAILED")}, {Removed: true}},
			want: []string{opened + step, resolved + step}, resolved: 1},
		{name: "a failed poll says nothing of the step", polls: []Poll{{Project: proj("FAILED")}, {}, {}, {}},
			want: []string{opened + step}, open: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rec := run(t, tc.hold, tc.polls)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("events\n got  %q\n want %q", got, tc.want)
			}
			if len(rec.Open) != tc.open || len(rec.Resolved) != tc.resolved {
				t.Errorf("%d open, %d resolved; want %d, %d", len(rec.Open), len(rec.Resolved), tc.open, tc.resolved)
			}
		})
	}
}

// The incident keeps the highest severity, the last error, the events
// that belong to it, and the relapses; it says how long it lasted.
func TestTrackKeepsTheIncidentsStory(t *testing.T) {
	fire := func(sev event.Severity) Poll {
		return Poll{Project: proj("RUNNING"), Firing: []string{"stall"},
			Events: []event.Event{ev(event.TypeConditionFiring, sev, map[string]any{"rule": "stall"})}}
	}
	_, rec := run(t, 2, []Poll{fire(event.Warning), fire(event.Critical), fire(event.Warning), {Project: proj("RUNNING")},
		fire(event.Warning), {Project: proj("RUNNING")}, {Project: proj("RUNNING")}})
	if len(rec.Resolved) != 1 {
		t.Fatalf("record %+v", rec)
	}
	in := rec.Resolved[0]
	if in.Severity != event.Critical || in.Relapses != 1 || in.Reason != "cleared" || len(in.Events) != 4 {
		t.Errorf("incident %+v", in)
	}
	if got := in.Lasted(t0.Add(time.Hour)); got != 6*time.Minute {
		t.Errorf("lasted %s, want 6m", got)
	}
	_, rec = run(t, 2, []Poll{{Project: proj("FAILED")}})
	if e := rec.Open[0].Error; e == nil || e.Code != "OMS-1105" || e.Proposal != "check the sink" {
		t.Errorf("error %+v", e)
	}
}

// A repeated poll (a retry, a restart before the record was saved) makes
// the same events, so the outbox stores them once.
func TestTrackIsDeterministic(t *testing.T) {
	p := Poll{Source: "oms://test", Project: proj("FAILED"), Time: t0, Digest: "d1",
		Events: []event.Event{ev(event.TypeStepStatusChanged, event.Critical, map[string]any{"step": "FULL_TRANSFER"})}}
	rec, a := Track(Options{}, Record{}, p)
	_, b := Track(Options{}, Record{}, p)
	if len(a) != 1 || a[0].ID != b[0].ID {
		t.Fatalf("ids %v %v", a, b)
	}
	if _, again := Track(Options{}, rec, p); len(again) != 0 {
		t.Fatalf("the same hand-off again made %v", again)
	}
	p.Project, p.Time = proj("RUNNING"), t0.Add(time.Minute)
	_, c := Track(Options{}, rec, p)
	if len(c) != 0 {
		t.Fatalf("a first clear poll made %v", c)
	}
}

func TestAcknowledgeAndResolveByHand(t *testing.T) {
	rec, _ := Track(Options{}, Record{}, Poll{Source: "oms://test", Project: proj("FAILED"), Time: t0})
	id := rec.Open[0].ID
	for _, tc := range []struct {
		name    string
		do      func(*Record) (event.Event, error)
		typ     string
		wantErr string
	}{
		{"nobody", func(r *Record) (event.Event, error) { return r.Acknowledge(id, Ack{At: t0}) }, "", "say who acknowledges (--by)"},
		{"unknown", func(r *Record) (event.Event, error) { return r.Acknowledge("inc-x", Ack{By: "a", At: t0}) }, "", "incident inc-x: no such incident"},
		{"ack", func(r *Record) (event.Event, error) {
			return r.Acknowledge(id, Ack{By: "alice", Comment: "on it", At: t0.Add(time.Minute)})
		}, event.TypeIncidentAcknowledged, ""},
		{"resolve", func(r *Record) (event.Event, error) {
			return r.ResolveByHand(id, Ack{By: "bob", At: t0.Add(42 * time.Minute)})
		},
			event.TypeIncidentResolved, ""},
		{"again", func(r *Record) (event.Event, error) { return r.ResolveByHand(id, Ack{By: "bob", At: t0}) }, "",
			"incident " + id + ": the incident has already resolved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := tc.do(&rec)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || e.Type != tc.typ {
				t.Fatalf("%v %v", e.Type, err)
			}
		})
	}
	in, _ := rec.Find(id)
	if in.State != Resolved || in.Ack.By != "alice" || in.Resolver.By != "bob" || in.Lasted(t0) != 42*time.Minute {
		t.Errorf("incident %+v", in)
	}
	if got := event.Summary(mustEvent(t, in)); got == "" {
		t.Error("no summary")
	}
}

func mustEvent(t *testing.T, in Incident) event.Event {
	t.Helper()
	e := Event(&in, event.TypeIncidentResolved, nil, t0.Add(time.Hour), "", map[string]any{"by": "bob"})
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	return e
}

// A firing incident nobody takes is announced again every remind of its
// severity, and escalates once after escalate_after; an acknowledged one
// is left alone.
func TestRemindAndEscalate(t *testing.T) {
	o := Options{Remind: map[event.Severity]time.Duration{event.Critical: 4 * time.Hour}, EscalateAfter: 30 * time.Minute}
	for _, tc := range []struct {
		name string
		ack  bool
		want []string
	}{
		{"nobody took it", false, []string{"opened", "updated escalated", "updated reminder 1", "updated reminder 2"}},
		{"acknowledged", true, []string{"opened"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec Record
			var got []string
			for m := 0; m <= 9*60; m += 10 { // a poll every 10 minutes for 9 hours
				var out []event.Event
				rec, out = Track(o, rec, Poll{Source: "oms://test", Project: proj("FAILED"), Time: t0.Add(time.Duration(m) * time.Minute)})
				for _, e := range out {
					s := strings.TrimPrefix(e.Type, "oms.incident.")
					if e.Data.Fields["reminder"] != nil {
						s += fmt.Sprint(" reminder ", e.Data.Fields["reminder"])
					} else if e.Type == event.TypeIncidentUpdated && e.Data.Fields["escalated"] == true {
						s += " escalated"
					}
					got = append(got, s)
				}
				if tc.ack && m == 0 {
					if _, err := rec.Acknowledge(rec.Open[0].ID, Ack{By: "alice", At: t0}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// A delay incident says where the delay is going: its events carry the
// ETA, and a new trend is an update of its own.
func TestTrackCarriesTheETA(t *testing.T) {
	var rec Record
	var got []string
	for i, delay := range []time.Duration{20 * time.Minute, 18 * time.Minute, 16 * time.Minute, 14 * time.Minute, 14 * time.Minute,
		14 * time.Minute, 14 * time.Minute, 14 * time.Minute} {
		p := proj("RUNNING")
		p.SyncDelay, p.SyncDelayKnown = delay, true
		var out []event.Event
		rec, out = Track(Options{}, rec, Poll{Source: "oms://test", Project: p, Firing: []string{"incr_delay_high"},
			Time: t0.Add(time.Duration(i) * time.Minute)})
		for _, e := range out {
			got = append(got, strings.TrimPrefix(e.Type, "oms.incident.")+" "+e.Data.Text("eta"))
		}
	}
	want := []string{"opened ", "updated catching up, ETA 8 min", "updated stalled at 14m0s behind"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
