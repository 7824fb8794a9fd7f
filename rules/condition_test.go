package rules

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// obs is one poll in a condition scenario: minutes after t0 and the state.
type obs struct {
	min float64
	p   proj
}

// run feeds polls through an engine, carrying State across them through
// JSON (as the KV store does), and returns one line per condition event:
// "minute type rule since value".
func run(t *testing.T, e *Engine, polls []obs, st *State) []string {
	t.Helper()
	var out []string
	var prev *oms.Snapshot
	for _, o := range polls {
		now := t0.Add(time.Duration(o.min * float64(time.Minute)))
		cur := snapshot(t, o.p)
		p := Poll{Source: "oms://cn-hangzhou", Prev: prev, Cur: cur, Now: now, State: *st}
		res, err := e.Evaluate(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range res.Errors {
			t.Errorf("evaluation error: %v", err)
		}
		for i, ev := range res.Events {
			f := ev.Data.Fields
			line := fmt.Sprintf("%g %s %s since=%s value=%v", o.min, strings.TrimPrefix(ev.Type, "oms.condition."), f["rule"], f["since"], f["value"])
			if r, ok := f["repeat"]; ok {
				line += fmt.Sprintf(" repeat=%v", r)
			}
			if m := res.Decisions[i].Muted; m != "" {
				line += " muted: " + m
			}
			out = append(out, line)
		}
		*st = roundTrip(t, res.State)
		prev = cur
	}
	return out
}

func roundTrip(t *testing.T, st State) State {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var out State
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func delay(min float64, seconds int) obs {
	return obs{min, proj{delay: seconds, incrStatus: "RUNNING"}}
}

func TestConditionForAndResolve(t *testing.T) {
	cond := Condition{Name: "incr_delay_high", For: 2 * time.Minute,
		Expr:  x(`project.Importance == "HIGH" && project.SyncDelayKnown && project.SyncDelay > duration("60s")`),
		Value: x(`project.SyncDelay`)}
	cases := []struct {
		name  string
		keep  time.Duration
		polls []obs
		want  []string
	}{
		{"fires after for, resolves once", 0,
			[]obs{delay(0, 30), delay(1, 90), delay(2, 100), delay(3, 120), delay(4, 130), delay(5, 10), delay(6, 5)},
			[]string{"3 firing incr_delay_high since=2025-06-01T08:01:00Z value=2m0s",
				"5 resolved incr_delay_high since=2025-06-01T08:01:00Z value=10s"}},
		{"a dip during for starts over", 0,
			[]obs{delay(0, 90), delay(1.5, 90), delay(1.75, 10), delay(2, 90), delay(3.5, 90), delay(4, 90)},
			[]string{"4 firing incr_delay_high since=2025-06-01T08:02:00Z value=1m30s"}},
		{"exactly for fires", 0,
			[]obs{delay(0, 90), delay(2, 90)},
			[]string{"2 firing incr_delay_high since=2025-06-01T08:00:00Z value=1m30s"}},
		{"keep_firing_for bridges a dip", 3 * time.Minute,
			[]obs{delay(0, 90), delay(2, 90), delay(3, 10), delay(4, 90), delay(5, 10), delay(7, 10), delay(8, 10)},
			[]string{"2 firing incr_delay_high since=2025-06-01T08:00:00Z value=1m30s",
				"7 resolved incr_delay_high since=2025-06-01T08:00:00Z value=10s"}},
		{"unknown delay does not hold", 0,
			[]obs{{0, proj{delay: -1}}, {5, proj{delay: -1}}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cond
			c.KeepFiringFor = tc.keep
			e := mustEngine(t, Config{Conditions: []Condition{c}})
			var st State
			got := run(t, e, tc.polls, &st)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestConditionRepeatInterval(t *testing.T) {
	e := mustEngine(t, Config{RepeatInterval: time.Hour, Conditions: []Condition{{Name: "failed", Severity: "critical",
		Expr: x(`project.Failed()`), For: 2 * time.Minute}}})
	failed := func(min float64) obs { return obs{min, proj{status: "FAILED", delay: -1}} }
	var st State
	got := run(t, e, []obs{failed(0), failed(2), failed(30), failed(61), failed(62), failed(122), {123, proj{delay: -1}}}, &st)
	want := []string{
		"2 firing failed since=2025-06-01T08:00:00Z value=<nil>",
		"62 firing failed since=2025-06-01T08:00:00Z value=<nil> repeat=1",
		"122 firing failed since=2025-06-01T08:00:00Z value=<nil> repeat=2",
		"123 resolved failed since=2025-06-01T08:00:00Z value=<nil>",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestConditionSurvivesRestart stops in the middle of a firing condition:
// a new engine given the saved state neither fires again nor forgets, and
// resolves when the condition stops holding.
func TestConditionSurvivesRestart(t *testing.T) {
	cfg := Config{Conditions: []Condition{{Name: "incr_delay_high", For: 2 * time.Minute,
		Expr: x(`project.SyncDelay > duration("60s")`)}}}
	var st State
	before := run(t, mustEngine(t, cfg), []obs{delay(0, 90), delay(2, 90), delay(3, 90)}, &st)
	if len(before) != 1 || !strings.Contains(before[0], "firing") {
		t.Fatalf("before the restart: %v", before)
	}
	if !st.Conditions["incr_delay_high"].Firing() {
		t.Fatalf("saved state lost the firing condition: %+v", st)
	}
	after := run(t, mustEngine(t, cfg), []obs{delay(10, 90), delay(11, 90), delay(12, 20)}, &st)
	want := []string{"12 resolved incr_delay_high since=2025-06-01T08:00:00Z value=<nil>"}
	if !reflect.DeepEqual(after, want) {
		t.Fatalf("after the restart %v, want %v", after, want)
	}
	if !st.IsZero() {
		t.Fatalf("state after resolving: %+v", st)
	}
}

func TestConditionEventsAreDeterministic(t *testing.T) {
	e := mustEngine(t, Config{Conditions: []Condition{{Name: "d", Expr: x(`project.SyncDelay > duration("60s")`),
		Labels: map[string]string{"team": "dba"}, Severity: "critical"}}})
	p := Poll{Source: "oms://cn-hangzhou", Cur: snapshot(t, proj{delay: 90}), Now: t0}
	a, _ := e.Evaluate(p)
	b, _ := e.Evaluate(p)
	if len(a.Events) != 1 || a.Events[0].ID != b.Events[0].ID {
		t.Fatalf("ids differ or missing: %+v %+v", a.Events, b.Events)
	}
	got := a.Events[0]
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	if got.Severity != event.Critical || got.Subject != "np_1" || got.Data.Project.Name != "orders" ||
		!reflect.DeepEqual(got.Data.Fields["labels"], map[string]string{"team": "dba"}) {
		t.Fatalf("event %+v", got)
	}
}
