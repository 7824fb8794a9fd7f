package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// runResolved feeds polls through an engine like run and describes each
// condition event with its severity, and a resolution with its reason and
// how long it lasted.
func runResolved(t *testing.T, e *Engine, polls []obs, removedAt float64) []string {
	t.Helper()
	var out []string
	var st State
	var prev *oms.Snapshot
	for _, o := range polls {
		cur := snapshot(t, o.p)
		p := Poll{Source: "oms://cn-hangzhou", Prev: prev, Cur: cur, Now: t0.Add(time.Duration(o.min * float64(time.Minute))), State: st}
		if o.min == removedAt {
			p.Removed = true
		}
		res, err := e.Evaluate(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range res.Errors {
			t.Errorf("evaluation error: %v", err)
		}
		for _, ev := range res.Events {
			f := ev.Data.Fields
			line := fmt.Sprintf("%g %s %s %s", o.min, strings.TrimPrefix(ev.Type, "oms.condition."), f["rule"], ev.Severity)
			if r, ok := f["reason"]; ok {
				line += fmt.Sprintf(" reason=%v lasted=%v", r, f["lasted"])
			}
			out = append(out, line)
		}
		st, prev = roundTrip(t, res.State), cur
	}
	return out
}

// TestConditionWhile: a condition measured only while its while holds
// ends quietly when pending, resolves as not_applicable when firing (at
// once, keep_firing_for notwithstanding), and as recovered when its
// expression stops holding while it applies. Resolutions are info
// whatever the rule's severity, and say how long the condition lasted.
func TestConditionWhile(t *testing.T) {
	stalled := Condition{Name: "stalled", Severity: "critical", For: 2 * time.Minute, KeepFiringFor: 5 * time.Minute,
		While: x(`project.Status == "RUNNING" && phase("incr").Status in ["RUNNING", "MONITORING"]`),
		Expr:  x(`project.SyncDelay > duration("60s")`)}
	running := func(min float64, delay int) obs { return obs{min, proj{delay: delay, incrStatus: "RUNNING"}} }
	failed := func(min float64) obs { return obs{min, proj{status: "FAILED", delay: 600, incrStatus: "FAILED"}} }
	suspended := func(min float64) obs { return obs{min, proj{status: "SUSPEND", delay: 600, incrStatus: "SUSPEND"}} }
	cases := []struct {
		name    string
		polls   []obs
		removed float64
		want    []string
	}{
		{"firing, then the project fails: not applicable at once", []obs{running(0, 90), running(2, 90), failed(3), failed(4)},
			-1, []string{"2 firing stalled critical", "3 resolved stalled info reason=not_applicable lasted=3m0s"}},
		{"firing, then the project is paused", []obs{running(0, 90), running(2, 90), suspended(3)},
			-1, []string{"2 firing stalled critical", "3 resolved stalled info reason=not_applicable lasted=3m0s"}},
		{"pending, then paused: nothing", []obs{running(0, 90), suspended(1), suspended(3), running(4, 90)}, -1, nil},
		{"paused and late: never measured", []obs{suspended(0), suspended(5), suspended(10)}, -1, nil},
		{"firing, then back: recovered after keep_firing_for", []obs{running(0, 90), running(2, 90), running(3, 5), running(8, 5)},
			-1, []string{"2 firing stalled critical", "8 resolved stalled info reason=recovered lasted=8m0s"}},
		{"resumed and still late: fires again after for", []obs{running(0, 90), running(2, 90), failed(3), running(4, 90), running(6, 90)},
			-1, []string{"2 firing stalled critical", "3 resolved stalled info reason=not_applicable lasted=3m0s", "6 firing stalled critical"}},
		{"removed while firing: not applicable", []obs{running(0, 90), running(2, 90), running(3, 90)},
			3, []string{"2 firing stalled critical", "3 resolved stalled info reason=not_applicable lasted=3m0s"}},
	}
	e := mustEngine(t, Config{Conditions: []Condition{stalled}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := runResolved(t, e, tc.polls, tc.removed); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestConditionWithoutWhileResolvesRecovered: a condition without while
// always applies; its resolution is a recovery, info, however severe its
// firing was.
func TestConditionWithoutWhileResolvesRecovered(t *testing.T) {
	e := mustEngine(t, Config{Conditions: []Condition{{Name: "failed", Severity: "critical", Expr: x(`project.Failed()`)}}})
	got := runResolved(t, e, []obs{{0, proj{status: "FAILED", delay: -1}}, {4, proj{delay: -1}}}, -1)
	want := []string{"0 firing failed critical", "4 resolved failed info reason=recovered lasted=4m0s"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestConditionWhileErrors: a while that does not compile is reported at
// its position; one that fails at run time keeps the condition's state.
func TestConditionWhileErrors(t *testing.T) {
	_, err := New(Config{Conditions: []Condition{{Name: "c", Expr: x(`true`),
		While: Expr{Text: `project.Stauts == "RUNNING"`, Where: "r.yaml:3:14", Path: "rules.conditions[0].while"}}}})
	if err == nil || !strings.Contains(err.Error(), "r.yaml:3:14: rules.conditions[0].while: the expression does not compile") {
		t.Fatalf("error %v", err)
	}
	e := mustEngine(t, Config{Conditions: []Condition{{Name: "c", Expr: x(`true`), While: x(`project.Steps[5].Status == "RUNNING"`)}}})
	st := State{Conditions: map[string]CondState{"c": {Since: t0, FiredAt: t0, LastHeld: t0, Notified: t0}}}
	res, _ := e.Evaluate(Poll{Source: "oms://x", Cur: snapshot(t, proj{delay: -1}), Now: t0.Add(time.Minute), State: st})
	if len(res.Errors) != 1 || len(res.Events) != 0 || !res.State.Conditions["c"].Firing() {
		t.Fatalf("errors %v, events %v, state %+v", res.Errors, res.Events, res.State)
	}
}
