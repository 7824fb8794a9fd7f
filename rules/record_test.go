package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
)

// TestDecisionSaysWhyInParts: a muting names its silence (with author and
// comment) or its inhibition and the firing event that holds it; routes
// that matched and did not take an event say why.
func TestDecisionSaysWhyInParts(t *testing.T) {
	e := mustEngine(t, Config{
		Routes: []Route{
			{Name: "noise", Match: Match{Types: []string{"oms.step.progress_changed"}}, Drop: true},
			{Name: "high", Match: Match{Types: []string{"oms.step.*"}}, When: x(`project.Importance == "LOW"`), To: []string{"oncall"}},
			{Name: "steps", Match: Match{Types: []string{"oms.step.*"}}, To: []string{"dba"}},
			{Name: "late", Match: Match{Types: []string{"oms.step.*"}}, To: []string{"audit"}},
		},
		Conditions: []Condition{{Name: "failed", Expr: x(`project.Failed()`)}},
		Inhibit: []Inhibit{{Name: "failed-mutes-errors", SourceConditions: []string{"fail*"},
			Target: Match{Types: []string{"oms.step.error_raised"}}}},
	})
	sil, err := NewSilence([]string{"type=oms.alarm.triggered"}, t0.Add(-time.Hour), t0.Add(time.Hour), "dba", "maintenance")
	if err != nil {
		t.Fatal(err)
	}
	sils, _ := NewSilences([]Silence{sil})
	res, err := e.Evaluate(Poll{Source: "s", Cur: snapshot(t, proj{status: "FAILED", delay: 1}), Now: t0, Silences: sils,
		Events: []event.Event{ev(event.TypeStepProgressChanged), ev(event.TypeStepStatusChanged),
			ev(event.TypeStepErrorRaised), ev(event.TypeAlarmTriggered)}})
	if err != nil {
		t.Fatal(err)
	}
	firing := res.Events[len(res.Events)-1]
	for i, tc := range []struct {
		typ    string
		routes []string
		passed string
		mute   *Mute
	}{
		{event.TypeStepProgressChanged, []string{"noise:drop"}, "high:taken by 0 steps:taken by 0 late:taken by 0", nil},
		{event.TypeStepStatusChanged, []string{"steps:send"}, "high:when late:taken by 2", nil},
		{event.TypeStepErrorRaised, []string{"steps:send"}, "high:when late:taken by 2",
			&Mute{Inhibit: "failed-mutes-errors", SourceConditions: []string{"failed"}, SourceEvents: []string{firing.ID}}},
		{event.TypeAlarmTriggered, nil, "", &Mute{Silence: &sil}},
		{event.TypeConditionFiring, nil, "", nil},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			d := res.Decisions[i]
			if got := res.Events[i].Type; got != tc.typ {
				t.Fatalf("event %d is %s", i, got)
			}
			if got := routeNames(d); !reflect.DeepEqual(got, tc.routes) {
				t.Errorf("routes %v, want %v", got, tc.routes)
			}
			var passed []string
			for _, m := range d.Passed {
				s := m.Name + ":" + m.Why
				if m.Why == MissTaken {
					s += fmt.Sprintf(" by %d", m.TakenBy)
				}
				passed = append(passed, s)
			}
			if got := strings.Join(passed, " "); got != tc.passed {
				t.Errorf("passed %q, want %q", got, tc.passed)
			}
			if !reflect.DeepEqual(d.Mute, tc.mute) {
				t.Errorf("mute %+v, want %+v", d.Mute, tc.mute)
			}
		})
	}
}

// TestTransitionsSayWhyAConditionDidOrDidNotFire: each evaluation that
// changes a condition's state is one Transition, with its for: and value.
func TestTransitionsSayWhyAConditionDidOrDidNotFire(t *testing.T) {
	e := mustEngine(t, Config{Conditions: []Condition{{Name: "lag", Expr: x(`project.SyncDelay > duration("60s")`),
		Value: x(`project.SyncDelay`), For: 2 * time.Minute}}})
	var st State
	var prev []string
	for _, tc := range []struct {
		obs  obs
		want string // the transition, "" for none
	}{
		{delay(0, 10), ""},
		{delay(1, 90), "inactive->pending since 1 value 1m30s"},
		{delay(2, 100), ""},
		{delay(2.5, 20), "pending->inactive since 1 value 20s: stopped holding"},
		{delay(3, 90), "inactive->pending since 3 value 1m30s"},
		{delay(5, 95), "pending->firing since 3 value 1m35s event"},
		{delay(6, 10), "firing->inactive since 3 value 10s event: recovered"},
	} {
		now := t0.Add(time.Duration(tc.obs.min * float64(time.Minute)))
		res, err := e.Evaluate(Poll{Source: "s", Cur: snapshot(t, tc.obs.p), Now: now, State: st})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tr := range res.Transitions {
			s := fmt.Sprintf("%s->%s since %g value %v", tr.From, tr.To, tr.Since.Sub(t0).Minutes(), tr.Value)
			if tr.Event != "" {
				s += " event"
			}
			if tr.Reason != "" {
				s += ": " + tr.Reason
			}
			if tr.For != 2*time.Minute || tr.Rule != "lag" {
				t.Errorf("minute %g: rule %q for %s", tc.obs.min, tr.Rule, tr.For)
			}
			got = append(got, s)
		}
		if g := strings.Join(got, "; "); g != tc.want {
			t.Errorf("minute %g: %q, want %q (before: %v)", tc.obs.min, g, tc.want, prev)
		}
		prev = got
		st = roundTrip(t, res.State)
	}
}
