package rules

import (
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
)

// TestEnvironment evaluates expressions the way conditions and routes do,
// over a real snapshot: the helpers, prev, named string types and the clock.
func TestEnvironment(t *testing.T) {
	prevSnap := snapshot(t, proj{delay: 30, checkpoint: t0.Add(-2 * time.Minute), incrStatus: "RUNNING"})
	curSnap := snapshot(t, proj{delay: 90, checkpoint: t0.Add(-2 * time.Minute), incrStatus: "MONITORING",
		workerEnd: t0.Add(72 * time.Hour)})
	cur, prev := curSnap.Project(), prevSnap.Project()
	env := NewEnv(&cur, &prev, t0).WithEvent(&event.Event{Type: event.TypeStepStatusChanged, Severity: event.Critical,
		Data: event.Data{Fields: map[string]any{"step": "INCR_TRANSFER", "to": "FAILED"}}})
	first := NewEnv(&cur, nil, t0)
	cases := []struct {
		expr string
		env  *Env
		want bool
	}{
		{`step("INCR-TRANSFER").Status == "MONITORING" && step("incr_transfer").Phase == "incr"`, env, true},
		{`step("NOPE").Name == ""`, env, true},
		{`phase("incr").Status == "MONITORING" && phase("full").Status == "FINISHED" && phase("full").Progress == 100`, env, true},
		{`phase("switchover").Status == "" && len(phase("switchover").Steps) == 0`, env, true},
		{`any(project.Steps, .Phase in ["incr", "full"])`, env, true},
		{`project.SyncDelay - prev.SyncDelay == duration("1m")`, env, true},
		{`project.IncrCheckpoint == prev.IncrCheckpoint && since(project.IncrCheckpoint) == duration("2m")`, env, true},
		{`until(project.Worker.EndTime) == duration("72h") && now() + duration("72h") == project.Worker.EndTime`, env, true},
		{`since(project.Finished) == duration("0s")`, env, true},
		{`event.Severity == "critical" && event.Data.to == "FAILED" && event.Data.step startsWith "INCR"`, env, true},
		{`prev.ID == "" && event.Type == ""`, first, true},
		{`project.Failed() || project.RunningStep().Name != ""`, env, false},
		{`"prod" in project.LabelNames()`, env, true},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			p := &problems{}
			prog := compile(x(tc.expr), wantBool, p)
			if err := p.err(); err != nil {
				t.Fatal(err)
			}
			got, err := prog.runBool(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("= %v, want %v", got, tc.want)
			}
		})
	}
}

func TestResolveARemovedProject(t *testing.T) {
	e := mustEngine(t, Config{
		Routes: []Route{{Name: "all", To: []string{"oncall"}}},
		Conditions: []Condition{
			{Name: "delay", Expr: x(`project.SyncDelay > duration("60s")`)},
			{Name: "failed", Expr: x(`project.Failed()`), For: time.Hour},
		},
	})
	last := snapshot(t, proj{delay: 90, status: "FAILED"})
	res, err := e.Evaluate(Poll{Source: "s", Cur: last, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.State.Conditions) != 2 {
		t.Fatalf("state %+v", res.State)
	}
	// Gone without a last answer (DescribeProject: not found): the stored
	// snapshot stands for the project.
	out, err := e.Evaluate(Poll{Source: "s", Prev: last, Removed: true, Now: t0.Add(time.Minute), State: res.State})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 1 || out.Events[0].Type != event.TypeConditionResolved || out.Events[0].Data.Fields["rule"] != "delay" {
		t.Fatalf("resolve gave %+v (only the firing condition resolves; the pending one ends quietly)", out.Events)
	}
	if len(out.Deliveries) != 1 || !out.State.IsZero() || !out.StateChanged {
		t.Fatalf("deliveries %v state %+v changed %v", out.Deliveries, out.State, out.StateChanged)
	}
}

// Events that come without a snapshot (a failed poll's) are muted by
// inhibitions as well as silences: muting is decided in one place.
func TestEventsWithoutASnapshotAreInhibited(t *testing.T) {
	e := mustEngine(t, Config{
		Routes:     []Route{{Name: "all", To: []string{"oncall"}}},
		Conditions: []Condition{{Name: "failed", Expr: x(`project.Failed()`)}},
		Inhibit: []Inhibit{{Name: "failed_project_quiet", SourceConditions: []string{"failed"},
			Target: Match{Types: []string{"oms.poll.*"}}}},
	})
	last := snapshot(t, proj{status: "FAILED"})
	res, err := e.Evaluate(Poll{Source: "s", Cur: last, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	failing := ev(event.TypePollFailing)
	out, err := e.Evaluate(Poll{Source: "s", Prev: last, Events: []event.Event{failing}, Now: t0.Add(time.Minute), State: res.State})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Decisions) != 1 || out.Decisions[0].Muted != "inhibited by failed_project_quiet" || len(out.Deliveries) != 0 {
		t.Fatalf("decisions %+v deliveries %v", out.Decisions, out.Deliveries)
	}
	if !out.State.Equal(res.State) {
		t.Fatalf("a poll without a snapshot changed the conditions: %+v", out.State)
	}
}
