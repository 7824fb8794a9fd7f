package rules

import (
	"reflect"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/event"
)

func TestRouteMatchingAndOrder(t *testing.T) {
	routes := []Route{
		{Name: "noise", Match: Match{Types: []string{event.TypeStepProgressChanged}}, Drop: true},
		{Name: "errors", Match: Match{Types: []string{"oms.step.error_*"}, Steps: []string{"FULL_*"}}, To: []string{"oncall"}, Continue: true},
		{Name: "critical", Match: Match{SeverityAtLeast: "critical"}, To: []string{"pager"}},
		{Name: "prod-by-regex", Match: Match{Names: []string{"~^ord(ers|ering)$"}, Labels: []string{"prod"}}, To: []string{"prod"}},
		{Name: "staging", Match: Match{Labels: []string{"stag*"}}, To: []string{"staging"}},
		{Name: "low", Match: Match{Importance: []string{"LOW"}, Phases: []string{"incr"}}, To: []string{"low"}},
		{Name: "cn", Match: Match{Sources: []string{"oms://cn-*"}, Severity: []string{"warning"}}, To: []string{"cn"}},
		{Name: "delay", Match: Match{Types: []string{"oms.condition.*"}, Rules: []string{"incr_delay_*"}}, To: []string{"dba"}},
		{Name: "exact-project", Match: Match{Projects: []string{"np_9"}}, To: []string{"nine"}},
	}
	e := mustEngine(t, Config{Routes: routes, DefaultTo: []string{"log"}})
	cases := []struct {
		name    string
		event   event.Event
		routes  []string
		targets []string
	}{
		{"drop ends routing", ev(event.TypeStepProgressChanged, ".severity", "critical"), []string{"noise:drop"}, nil},
		{"continue then first match", ev(event.TypeStepErrorRaised, "step", "FULL_TRANSFER", ".severity", "critical"),
			[]string{"errors:send", "critical:send"}, []string{"oncall", "pager"}},
		{"step glob excludes", ev(event.TypeStepErrorRaised, "step", "INCR_TRANSFER", ".severity", "critical"),
			[]string{"critical:send"}, []string{"pager"}},
		{"regex and label", ev(event.TypeProjectDiscovered), []string{"prod-by-regex:send"}, []string{"prod"}},
		{"regex rejects", ev(event.TypeProjectDiscovered, ".name", "orders2"), nil, []string{"log"}},
		{"label glob", ev(event.TypeProjectDiscovered, ".name", "x", ".labels", "dba,staging"), []string{"staging:send"}, []string{"staging"}},
		{"importance and phase", ev(event.TypeStepStatusChanged, ".name", "x", ".importance", "LOW", "phase", "incr", "step", "INCR_TRANSFER"),
			[]string{"low:send"}, []string{"low"}},
		{"phase derived from step", ev(event.TypeStepErrorCleared, ".name", "x", ".importance", "LOW", "step", "INCR_SYNC"),
			[]string{"low:send"}, []string{"low"}},
		{"phase mismatch", ev(event.TypeStepStatusChanged, ".name", "x", ".importance", "LOW", "phase", "full", "step", "FULL_TRANSFER"),
			nil, []string{"log"}},
		{"source glob and exact severity", ev(event.TypeAlarmTriggered, ".name", "x", ".severity", "warning"), []string{"cn:send"}, []string{"cn"}},
		{"source other region", ev(event.TypeAlarmTriggered, ".name", "x", ".severity", "warning", ".source", "oms+onprem://oms.local"), nil, []string{"log"}},
		{"rule glob", ev(event.TypeConditionFiring, ".name", "x", "rule", "incr_delay_high"), []string{"delay:send"}, []string{"dba"}},
		{"rule mismatch", ev(event.TypeConditionFiring, ".name", "x", "rule", "failed_for_2m"), nil, []string{"log"}},
		{"exact project", ev(event.TypeProjectDiscovered, ".name", "x", ".subject", "np_9"), []string{"exact-project:send"}, []string{"nine"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := e.Route(tc.event)
			if err != nil {
				t.Fatal(err)
			}
			if got := routeNames(d); !reflect.DeepEqual(got, tc.routes) {
				t.Errorf("routes %v, want %v", got, tc.routes)
			}
			if got := targetsOf(d); !reflect.DeepEqual(got, tc.targets) {
				t.Errorf("targets %v, want %v", got, tc.targets)
			}
			if d.Default != (len(tc.routes) == 0) {
				t.Errorf("default %v with routes %v", d.Default, tc.routes)
			}
		})
	}
}

func TestRouteWhenAndSeverityOverride(t *testing.T) {
	routes := []Route{
		{Name: "failed", Match: Match{Types: []string{event.TypeStepStatusChanged}},
			When:     x(`event.Data.to == "FAILED" && project.Importance == "HIGH" && step("FULL_TRANSFER").Name == ""`),
			Severity: "warning", To: []string{"oncall", "log"}, Continue: true},
		{Name: "all", To: []string{"log", "audit"}},
	}
	e := mustEngine(t, Config{Routes: routes})
	d, err := e.Route(ev(event.TypeStepStatusChanged, "to", "FAILED", ".severity", "critical"))
	if err != nil {
		t.Fatal(err)
	}
	if got := routeNames(d); !reflect.DeepEqual(got, []string{"failed:send", "all:send"}) {
		t.Fatalf("routes %v", got)
	}
	// log is named twice; the first route's delivery (and severity) wins.
	want := []string{"oncall:warning", "log:warning", "audit:critical"}
	var got []string
	for _, de := range d.Deliveries {
		got = append(got, de.Target+":"+string(de.Event.Severity))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("deliveries %v, want %v", got, want)
	}
	d, _ = e.Route(ev(event.TypeStepStatusChanged, "to", "RUNNING"))
	if got := routeNames(d); !reflect.DeepEqual(got, []string{"all:send"}) {
		t.Fatalf("when false still matched: %v", got)
	}
}

func TestRouteIndexAgreesWithFullMatch(t *testing.T) {
	e := mustEngine(t, benchConfig(200))
	for _, evt := range benchEvents() {
		var want []int
		var f facts
		e.cat.factsOf(&evt, &f)
		env := eventEnv(&evt, nil)
		for i, rt := range e.router.routes {
			if !rt.m.matches(&f) {
				continue
			}
			if rt.when != nil {
				if ok, _ := rt.when.runBool(env); !ok {
					continue
				}
			}
			want = append(want, i)
			if !rt.Continue || rt.Drop {
				break
			}
		}
		got, err := e.router.Route(&evt, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s: index gave %v, a full scan %v", evt.Type, evt.Data.Project.Name, got, want)
		}
	}
}

func TestPatterns(t *testing.T) {
	cases := []struct {
		pattern string
		yes, no []string
	}{
		{"orders", []string{"orders"}, []string{"orders2", "Orders"}},
		{"prod-*", []string{"prod-", "prod-a/b"}, []string{"pro", "xprod-"}},
		{"*-prod", []string{"a-prod"}, []string{"a-prod2"}},
		{"*mid*", []string{"mid", "a/mid/b"}, []string{"mi d"}},
		{"np_?[0-9]", []string{"np_a1"}, []string{"np_1", "np_ab"}},
		{"oms://*", []string{"oms://cn-hangzhou"}, []string{"oms+onprem://h"}},
		{`a\*b`, []string{"a*b"}, []string{"axb"}},
		{"[^x]y", []string{"ay"}, []string{"xy"}},
		{"~^np_[0-9]+$", []string{"np_12"}, []string{"np_1a", "xnp_1"}},
		{"~prod", []string{"prod", "x-prod-y"}, []string{"pro"}},
		{"~(?i)^PROD", []string{"production"}, []string{"xprod"}},
		{"~a|^b", []string{"xa", "bx"}, []string{"xb"}},
	}
	for _, tc := range cases {
		p, err := compilePattern(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		for _, s := range tc.yes {
			if !p.match(s) {
				t.Errorf("%q does not match %q", tc.pattern, s)
			}
		}
		for _, s := range tc.no {
			if p.match(s) {
				t.Errorf("%q matches %q", tc.pattern, s)
			}
		}
	}
	for _, bad := range []string{"", "[a", "~(", `~\p{Nope}`} {
		if _, err := compilePattern(bad); err == nil {
			t.Errorf("%q compiled", bad)
		}
	}
}

func TestNewReportsEveryProblemWithItsPlace(t *testing.T) {
	cfg := Config{
		Routes: []Route{
			{Name: "a", Where: "r.yaml:3:5", Path: "rules.routes[0]", To: []string{"log"},
				When: Expr{Text: `projct.Status == "FAILED"`, Where: "r.yaml:5:13", Path: "rules.routes[0].when"}},
			{Name: "b", Where: "r.yaml:7:5", Path: "rules.routes[1]", To: []string{"nope"},
				Match: Match{Types: []string{event.TypeProjectStatusChanged}, Steps: []string{"FULL*"}}},
			{Name: "c", Where: "r.yaml:9:5", Path: "rules.routes[2]", To: []string{"log"},
				Match: Match{Types: []string{event.TypeStepErrorChanged}, SeverityAtLeast: "warning"}},
			{Where: "r.yaml:11:5", Path: "rules.routes[3]", To: []string{"log"},
				OncePer: Expr{Text: `event.Data.code`, Where: "r.yaml:12:15", Path: "rules.routes[3].once_per"}},
		},
		Conditions: []Condition{
			{Name: "d", Where: "r.yaml:14:5", Path: "rules.conditions[0]",
				Expr: Expr{Text: `project.SyncDelay > 60`, Where: "r.yaml:15:11", Path: "rules.conditions[0].expr"}},
			{Name: "e", Where: "r.yaml:16:5", Path: "rules.conditions[1]",
				Expr: Expr{Text: `project.Status`, Where: "r.yaml:17:11", Path: "rules.conditions[1].expr"}},
		},
		Targets: []string{"log"},
	}
	_, err := New(cfg)
	want := []string{
		`r.yaml:5:13: rules.routes[0].when: the expression does not compile: unknown name projct (did you mean project?) (column 1 of the expression)`,
		`r.yaml:7:5: rules.routes[1].match: can never match a known event type: oms.project.status_changed has no step`,
		`r.yaml:9:5: rules.routes[2].match: can never match a known event type: oms.step.error_changed is never warning or critical`,
		`r.yaml:11:5: rules.routes[3].once_per: needs the route to have a name (once_per remembers keys per route)`,
		`r.yaml:15:11: rules.conditions[0].expr: the expression does not compile: invalid operation: > (mismatched types time.Duration and int) (column 19 of the expression)`,
		`r.yaml:17:11: rules.conditions[1].expr: the expression does not compile: expected bool, but got string`,
		`r.yaml:7:5: rules.routes[1].to: unknown target "nope"`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	got := strings.Split(err.Error(), "\n")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
