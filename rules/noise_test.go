package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
)

// notes renders notifications as "minute target route group: types".
func notes(ns []Notification) []string {
	var out []string
	for _, n := range ns {
		var types []string
		for _, e := range n.Events {
			types = append(types, strings.TrimPrefix(e.Type, "oms."))
		}
		line := fmt.Sprintf("%g %s %s %s: %s", n.Time.Sub(t0).Minutes(), n.Target, n.Route, n.GroupString(), strings.Join(types, " "))
		if n.Dropped > 0 {
			line += fmt.Sprintf(" (+%d dropped)", n.Dropped)
		}
		out = append(out, line)
	}
	return out
}

func deliver(e *Engine, evs ...event.Event) []Delivery {
	var out []Delivery
	for _, evt := range evs {
		d, err := e.Route(evt)
		if err != nil {
			panic(err)
		}
		out = append(out, d.Deliveries...)
	}
	return out
}

func at(min float64) time.Time { return t0.Add(time.Duration(min * float64(time.Minute))) }

func TestGroupingCollapsesAPoll(t *testing.T) {
	e := mustEngine(t, Config{
		Routes:    []Route{{Name: "all", To: []string{"slack", "nats"}}},
		GroupBy:   []string{"project"},
		GroupWait: 30 * time.Second,
	})
	d := e.NewDispatcher()
	// One poll of np_1 gives three events, np_2 one; all within group_wait.
	d.Add(at(0), deliver(e, ev(event.TypeProjectStatusChanged), ev(event.TypeStepStatusChanged), ev(event.TypeStepErrorRaised)))
	d.Add(at(0.25), deliver(e, ev(event.TypeAlarmTriggered, ".subject", "np_2")))
	if got := d.Due(at(0.4)); len(got) != 0 {
		t.Fatalf("sent before group_wait: %v", notes(got))
	}
	if next, ok := d.Next(); !ok || !next.Equal(at(0.5)) {
		t.Fatalf("next %v %v, want 08:00:30", next, ok)
	}
	got := notes(d.Due(at(1)))
	want := []string{
		"0.5 slack all project=np_1: project.status_changed step.status_changed step.error_raised",
		"0.5 nats all project=np_1: project.status_changed step.status_changed step.error_raised",
		"0.75 slack all project=np_2: alarm.triggered",
		"0.75 nats all project=np_2: alarm.triggered",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("notifications\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A later poll starts a new group.
	d.Add(at(2), deliver(e, ev(event.TypeStepStatusChanged)))
	if got := notes(d.Flush()); !reflect.DeepEqual(got, []string{"2.5 slack all project=np_1: step.status_changed", "2.5 nats all project=np_1: step.status_changed"}) {
		t.Fatalf("second poll: %v", got)
	}
	if d.Len() != 0 {
		t.Fatal("flush left groups")
	}
}

func TestGroupByTypeAndStep(t *testing.T) {
	e := mustEngine(t, Config{Routes: []Route{{To: []string{"t"}}}, GroupBy: []string{"project", "step"}})
	d := e.NewDispatcher()
	d.Add(at(0), deliver(e, ev(event.TypeStepStatusChanged, "step", "A"), ev(event.TypeStepProgressChanged, "step", "B"),
		ev(event.TypeStepErrorRaised, "step", "A")))
	got := notes(d.Due(at(0)))
	want := []string{"0 t  project=np_1,step=A: step.status_changed step.error_raised", "0 t  project=np_1,step=B: step.progress_changed"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
}

func TestRateLimitSpacesAndMerges(t *testing.T) {
	e := mustEngine(t, Config{
		Routes:     []Route{{Name: "r", To: []string{"slack", "log"}}},
		RateLimits: map[string]RateLimit{"slack": {Count: 1, Per: time.Minute, Burst: 2}},
	})
	d := e.NewDispatcher()
	for i := range 4 {
		d.Add(at(0), deliver(e, ev(event.TypeStepStatusChanged, ".subject", fmt.Sprintf("np_%d", i))))
	}
	got := notes(d.Due(at(0)))
	want := []string{
		"0 slack r project=np_0: step.status_changed", "0 log r project=np_0: step.status_changed",
		"0 slack r project=np_1: step.status_changed", "0 log r project=np_1: step.status_changed",
		"0 log r project=np_2: step.status_changed", "0 log r project=np_3: step.status_changed",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("burst\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if next, _ := d.Next(); !next.Equal(at(1)) {
		t.Fatalf("next %v, want a minute later", next)
	}
	// np_2's group waits for a token and takes in what arrives meanwhile.
	d.Add(at(0.5), deliver(e, ev(event.TypeStepErrorRaised, ".subject", "np_2")))
	got = notes(d.Due(at(3)))
	want = []string{
		"0.5 log r project=np_2: step.error_raised",
		"1 slack r project=np_2: step.status_changed step.error_raised",
		"2 slack r project=np_3: step.status_changed",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("limited\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

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
