package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
)

func at(min float64) time.Time { return t0.Add(time.Duration(min * float64(time.Minute))) }

func TestOncePer(t *testing.T) {
	e := mustEngine(t, Config{Routes: []Route{
		{Name: "errors", Match: Match{Types: []string{event.TypeStepErrorRaised}},
			OncePer: x(`event.Data.step + "/" + event.Data.code`), To: []string{"oncall"}},
	}})
	snap := snapshot(t, proj{delay: 1})
	var st State
	poll := func(min float64, evs ...event.Event) []string {
		res, err := e.Evaluate(Poll{Source: "s", Cur: snap, Now: at(min), State: st, Events: evs})
		if err != nil {
			t.Fatal(err)
		}
		st = roundTrip(t, res.State)
		var out []string
		for _, d := range res.Decisions {
			out = append(out, strings.Join(routeNames(d), ",")+"->"+strings.Join(targetsOf(d), ","))
		}
		return out
	}
	e1 := ev(event.TypeStepErrorRaised, "step", "FULL_TRANSFER", "code", "E1")
	e2 := ev(event.TypeStepErrorRaised, "step", "FULL_TRANSFER", "code", "E2")
	e3 := ev(event.TypeStepErrorRaised, "step", "INCR_TRANSFER", "code", "E1")
	steps := []struct {
		got, want []string
	}{
		{poll(0, e1, e1), []string{"errors:send->oncall", "errors:once_per->"}},
		{poll(1, e1, e2, e3), []string{"errors:once_per->", "errors:send->oncall", "errors:send->oncall"}},
		{poll(2, e2), []string{"errors:once_per->"}},
	}
	for i, s := range steps {
		if !reflect.DeepEqual(s.got, s.want) {
			t.Errorf("poll %d: %v, want %v", i, s.got, s.want)
		}
	}
	if len(st.OncePer) != 3 {
		t.Fatalf("once_per keys %v", st.OncePer)
	}
	// A key that cannot be computed (no code: nil + string) sends, and
	// remembers nothing, every time.
	noCode := ev(event.TypeStepErrorRaised, "step", "FULL_TRANSFER")
	for i := range 2 {
		res, err := e.Evaluate(Poll{Source: "s", Cur: snap, Now: at(3), State: st, Events: []event.Event{noCode}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) != 1 || len(res.Deliveries) != 1 || res.Decisions[0].Routes[0].Action != ActionSendKeyless {
			t.Fatalf("try %d: errors %v deliveries %v decision %+v", i, res.Errors, res.Deliveries, res.Decisions[0])
		}
		st = res.State
	}
	if len(st.OncePer) != 3 {
		t.Fatalf("a failed key was remembered: %v", st.OncePer)
	}
}

func TestSilenceSuppressesThenExpires(t *testing.T) {
	e := mustEngine(t, Config{Routes: []Route{{Name: "all", To: []string{"oncall"}}}})
	ms := func(ss ...string) []Matcher {
		var out []Matcher
		for _, s := range ss {
			m, err := ParseMatcher(s)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		return out
	}
	sil, err := NewSilences([]Silence{
		{ID: "s1", Matchers: ms("project=np_1", "type=oms.step.*"), StartsAt: at(0), EndsAt: at(60)},
		{ID: "s2", Matchers: ms("label!=prod", "severity=~^(warning|critical)$"), StartsAt: at(0), EndsAt: at(60)},
	})
	if err != nil {
		t.Fatal(err)
	}
	snap := snapshot(t, proj{delay: 1})
	cases := []struct {
		name  string
		min   float64
		event event.Event
		muted string
	}{
		{"silenced", 10, ev(event.TypeStepStatusChanged), "silenced by s1"},
		{"other type", 10, ev(event.TypeProjectStatusChanged), ""},
		{"other project", 10, ev(event.TypeStepStatusChanged, ".subject", "np_2"), ""},
		{"negated label", 10, ev(event.TypeAlarmTriggered, ".labels", "dev", ".severity", "warning"), "silenced by s2"},
		{"negated label holds", 10, ev(event.TypeAlarmTriggered, ".severity", "warning"), ""},
		{"expired", 60, ev(event.TypeStepStatusChanged), ""},
		{"not yet", -1, ev(event.TypeStepStatusChanged), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Evaluate(Poll{Source: "s", Cur: snap, Now: at(tc.min), Events: []event.Event{tc.event}, Silences: sil})
			if err != nil {
				t.Fatal(err)
			}
			d := res.Decisions[0]
			if d.Muted != tc.muted {
				t.Fatalf("muted %q, want %q", d.Muted, tc.muted)
			}
			if (len(res.Deliveries) == 0) != (tc.muted != "") {
				t.Fatalf("deliveries %v with muted %q", res.Deliveries, d.Muted)
			}
		})
	}
	for _, bad := range []string{"nope=1", "type", "project=~(", "=x"} {
		if _, err := ParseMatcher(bad); err == nil {
			t.Errorf("matcher %q parsed", bad)
		}
	}
}

// TestInhibition: a FAILED project mutes its delay conditions; once it
// recovers, a delay still firing is told, and its resolution follows.
func TestInhibition(t *testing.T) {
	e := mustEngine(t, Config{
		Routes: []Route{{Name: "all", To: []string{"oncall"}}},
		Conditions: []Condition{
			{Name: "incr_delay_high", Expr: x(`project.SyncDelay > duration("60s")`), For: time.Minute},
			{Name: "failed", Expr: x(`project.Failed()`), For: 2 * time.Minute, Severity: "critical"},
		},
		Inhibit: []Inhibit{{Name: "failed-mutes-delay", SourceWhen: x(`project.Failed()`),
			Target: Match{Types: []string{"oms.condition.*"}, Rules: []string{"incr_delay_*"}}}},
	})
	failedLagging := func(min float64, d int) obs { return obs{min, proj{status: "FAILED", delay: d, incrStatus: "FAILED"}} }
	var st State
	got := run(t, e, []obs{failedLagging(0, 90), failedLagging(1, 120), failedLagging(2, 180),
		delay(3, 200), delay(4, 10)}, &st)
	want := []string{
		"1 firing incr_delay_high since=2025-06-01T08:00:00Z value=<nil> muted: inhibited by failed-mutes-delay",
		"2 firing failed since=2025-06-01T08:00:00Z value=<nil>",
		"3 resolved failed since=2025-06-01T08:00:00Z value=<nil>",
		"3 firing incr_delay_high since=2025-06-01T08:00:00Z value=<nil> repeat=1",
		"4 resolved incr_delay_high since=2025-06-01T08:00:00Z value=<nil>",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestInhibitionBySourceCondition(t *testing.T) {
	e := mustEngine(t, Config{
		Routes: []Route{{Name: "all", To: []string{"oncall"}}},
		Conditions: []Condition{
			{Name: "failed", Expr: x(`project.Failed()`), Severity: "critical"},
		},
		Inhibit: []Inhibit{{Name: "failed-mutes-steps", SourceConditions: []string{"fail*"},
			Target: Match{Types: []string{"oms.step.*"}}}},
	})
	res, err := e.Evaluate(Poll{Source: "s", Cur: snapshot(t, proj{status: "FAILED", delay: 1}), Now: t0,
		Events: []event.Event{ev(event.TypeStepStatusChanged), ev(event.TypeProjectStatusChanged)}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, d := range res.Decisions {
		got = append(got, res.Events[i].Type+":"+d.Muted)
	}
	want := []string{"oms.step.status_changed:inhibited by failed-mutes-steps", "oms.project.status_changed:", "oms.condition.firing:"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
}

// TestMutedFiringResolvesMuted: a firing muted by a silence that outlives
// the condition has its resolution muted too.
func TestMutedFiringResolvesMuted(t *testing.T) {
	e := mustEngine(t, Config{
		Routes:     []Route{{Name: "all", To: []string{"oncall"}}},
		Conditions: []Condition{{Name: "incr_delay_high", Expr: x(`project.SyncDelay > duration("60s")`)}},
	})
	m, _ := ParseMatcher("rule=incr_delay_*")
	sil, err := NewSilences([]Silence{{ID: "s1", Matchers: []Matcher{m}, StartsAt: at(0), EndsAt: at(3)}})
	if err != nil {
		t.Fatal(err)
	}
	var st State
	var got []string
	for _, o := range []obs{delay(0, 90), delay(1, 90), delay(2, 10), delay(3, 90), delay(4, 90), delay(5, 10)} {
		res, err := e.Evaluate(Poll{Source: "s", Cur: snapshot(t, o.p), Now: at(o.min), State: st, Silences: sil})
		if err != nil {
			t.Fatal(err)
		}
		for i, evt := range res.Events {
			got = append(got, fmt.Sprintf("%g %s %s", o.min, evt.Type, res.Decisions[i].Muted))
		}
		st = res.State
	}
	want := []string{
		"0 oms.condition.firing silenced by s1",
		"2 oms.condition.resolved its firing was muted (silenced by s1)",
		"3 oms.condition.firing ",
		"5 oms.condition.resolved ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
