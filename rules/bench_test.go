package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/event"
)

// benchConfig builds n routes the way a large installation writes them:
// per team and per service, exact project ids, name globs and regexes,
// label and importance criteria, a quarter with when expressions, over the
// whole event catalog. No route catches everything, so an event can be
// taken by none.
func benchConfig(n int) Config {
	typeSets := [][]string{
		{event.TypeStepStatusChanged}, {"oms.step.*"}, {event.TypeStepErrorRaised, event.TypeStepErrorCleared},
		{"oms.project.*"}, {event.TypeProjectStatusChanged}, {"oms.condition.*"}, {"oms.alarm.*"},
		{event.TypeWorkerExpired, event.TypeConfigChanged}, {"oms.poll.*"}, {event.TypeStepProgressChanged},
	}
	whens := []string{
		`event.Data.to == "FAILED"`,
		`project.Importance == "HIGH" && event.Severity != "info"`,
		`event.Data.step startsWith "INCR" || project.Status == "FAILED"`,
		`"team-x" in event.Project.Labels`,
	}
	var routes []Route
	for i := range n {
		r := Route{Name: fmt.Sprintf("r%03d", i), To: []string{"log"}, Continue: i%7 == 0,
			Match: Match{Types: typeSets[i%len(typeSets)]}}
		switch i % 5 {
		case 0:
			r.Match.Projects = []string{fmt.Sprintf("np_%04da", i), fmt.Sprintf("np_%04db", i)}
		case 1:
			r.Match.Names = []string{fmt.Sprintf("team%d-*", i)}
		case 2:
			r.Match.Names = []string{fmt.Sprintf("~^svc-%d-(orders|users|billing)$", i)}
		case 3:
			r.Match.Labels = []string{fmt.Sprintf("env-%d", i)}
			r.Match.Importance = []string{"HIGH", "MEDIUM"}
		case 4:
			r.Match.Projects = []string{fmt.Sprintf("~^np_%d[a-z]+$", i)}
			if i%len(typeSets) != 9 { // progress is always info
				r.Match.SeverityAtLeast = "warning"
			}
		}
		if i%3 == 0 && isStepGlob(r.Match.Types) {
			r.Match.Steps = []string{"FULL_*", "INCR_TRANSFER"}
		}
		if i%4 == 2 {
			w := whens[i%len(whens)]
			if strings.Contains(w, "event.Data.") && !isStepGlob(r.Match.Types) {
				w = whens[1] // the others read step data, which the route's types lack (a load error)
			}
			r.When = x(w)
		}
		if i%11 == 5 {
			r.Drop, r.To = true, nil
		}
		routes = append(routes, r)
	}
	return Config{Routes: routes, DefaultTo: []string{"log"}}
}

func isStepGlob(types []string) bool {
	for _, t := range types {
		if t == "oms.step.*" || t == event.TypeStepStatusChanged {
			return true
		}
	}
	return false
}

// benchEvents are realistic events; the first is the worst case, taken by
// no route although routes for its type, importance and labels abound.
func benchEvents() []event.Event {
	return []event.Event{
		ev(event.TypeStepStatusChanged, ".name", "orders_mysql_to_ob", ".subject", "np_7hq2kd81", ".labels", "prod,dba",
			".severity", "critical", "step", "INCR_TRANSFER", "phase", "incr", "from", "RUNNING", "to", "FAILED"),
		ev(event.TypeStepStatusChanged, ".name", "team1-orders", ".subject", "np_0000a", "step", "FULL_TRANSFER", "phase", "full"),
		ev(event.TypeConditionFiring, ".name", "svc-2-orders", "rule", "incr_delay_high", ".severity", "warning"),
		ev(event.TypeProjectStatusChanged, ".name", "svc-14-users", ".subject", "np_14abc", ".severity", "critical", "to", "FAILED"),
		ev(event.TypeAlarmTriggered, ".labels", "env-3,prod", ".severity", "warning"),
	}
}

func benchRoute(b *testing.B, e *Engine, evt event.Event) {
	out := make([]int, 0, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, _ = e.router.Route(&evt, nil, out[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRoute is the target: 200 routes, worst case an event no
// route takes (>= 750,000 events/s per core, 0 allocations). Alertmanager
// v0.34's tree costs about 6.8 us for such an event on this machine;
// BenchmarkRouteLinear below is our own matchers without the index, the
// baseline the index is measured against in the same run.
func BenchmarkRoute(b *testing.B) {
	e := mustEngine(b, benchConfig(200))
	evs := benchEvents()
	b.Run("worst_case_no_route", func(b *testing.B) { benchRoute(b, e, evs[0]) })
	b.Run("exact_project", func(b *testing.B) { benchRoute(b, e, evs[1]) })
	b.Run("regex_name_and_when", func(b *testing.B) { benchRoute(b, e, evs[3]) })
	b.Run("label", func(b *testing.B) { benchRoute(b, e, evs[4]) })
}

// BenchmarkRouteLinear is the baseline: every route's full matcher, in
// order, for the worst-case event (what a route list without an index, or
// Alertmanager's tree, does).
func BenchmarkRouteLinear(b *testing.B) {
	e := mustEngine(b, benchConfig(200))
	evt := benchEvents()[0]
	b.ReportAllocs()
	for b.Loop() {
		var f facts
		e.cat.factsOf(&evt, &f)
		for _, rt := range e.router.routes {
			if rt.m.matches(&f) {
				b.Fatal("the worst-case event matched")
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRoutePassed is what recording the routes that matched an event
// and did not take it (Decision.Passed) costs the router: "route" is the
// baseline, "route_and_passed" the same events with the misses kept, in
// one run.
func BenchmarkRoutePassed(b *testing.B) {
	e := mustEngine(b, benchConfig(200))
	evs := benchEvents()
	for _, keep := range []bool{false, true} {
		name := "route"
		if keep {
			name = "route_and_passed"
		}
		b.Run(name, func(b *testing.B) {
			out := make([]int, 0, 16)
			var misses []RouteMiss
			b.ReportAllocs()
			for b.Loop() {
				for i := range evs {
					if keep {
						misses = misses[:0]
						out, _ = e.router.route(&evs[i], nil, out[:0], &misses)
					} else {
						out, _ = e.router.Route(&evs[i], nil, out[:0])
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
		})
	}
}
