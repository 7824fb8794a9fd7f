package sinks_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// gt0 is the simulated clock's origin of the grouping tests.
var gt0 = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

func at(min float64) time.Time { return gt0.Add(time.Duration(min * float64(time.Minute))) }

// ev is an event of a type for project np_1; kv sets data fields, and
// .subject the project.
func ev(typ string, kv ...string) event.Event {
	e := event.Event{ID: "id-" + typ, Source: "oms://cn-hangzhou", Type: typ, Subject: "np_1", Time: gt0,
		Severity: event.Info, Data: event.Data{Project: event.Project{ID: "np_1", Name: "orders"}, Fields: map[string]any{}}}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == ".subject" {
			e.Subject, e.Data.Project.ID = kv[i+1], kv[i+1]
			continue
		}
		e.Data.Fields[kv[i]] = kv[i+1]
	}
	return e
}

// route delivers events as a route named name (index idx) sending to
// targets does: one delivery per event and target, in that order.
func route(name string, idx int, targets ...string) func(evs ...event.Event) []sinks.Delivery {
	return func(evs ...event.Event) []sinks.Delivery {
		var out []sinks.Delivery
		for _, e := range evs {
			for _, t := range targets {
				out = append(out, sinks.Delivery{Event: e, Target: t, Route: name, RouteIndex: idx})
			}
		}
		return out
	}
}

// notes renders notifications as "minute target route group: types".
func notes(ns []sinks.Notification) []string {
	var out []string
	for _, n := range ns {
		var types []string
		for _, e := range n.Events {
			types = append(types, strings.TrimPrefix(e.Type, "oms."))
		}
		line := fmt.Sprintf("%g %s %s %s: %s", n.Time.Sub(gt0).Minutes(), n.Target, n.Route, n.GroupString(), strings.Join(types, " "))
		if n.Dropped > 0 {
			line += fmt.Sprintf(" (+%d dropped)", n.Dropped)
		}
		out = append(out, line)
	}
	return out
}

func TestGroupingCollapsesAPoll(t *testing.T) {
	deliver := route("all", 0, "slack", "nats")
	d := sinks.NewGrouping(sinks.GroupOptions{By: []string{"project"}, Wait: 30 * time.Second})
	// One poll of np_1 gives three events, np_2 one; all within group_wait.
	d.Add(at(0), deliver(ev(event.TypeProjectStatusChanged), ev(event.TypeStepStatusChanged), ev(event.TypeStepErrorRaised)))
	d.Add(at(0.25), deliver(ev(event.TypeAlarmTriggered, ".subject", "np_2")))
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
	d.Add(at(2), deliver(ev(event.TypeStepStatusChanged)))
	if got := notes(d.Flush()); !reflect.DeepEqual(got, []string{"2.5 slack all project=np_1: step.status_changed", "2.5 nats all project=np_1: step.status_changed"}) {
		t.Fatalf("second poll: %v", got)
	}
	if d.Len() != 0 {
		t.Fatal("flush left groups")
	}
}

// With group_wait 0s, a first start's sightings still make one summary
// per source: they wait FirstSightWait for the rest of the cycle, while
// other events go at once.
func TestFirstSightsWaitForTheirCycleWithoutGroupWait(t *testing.T) {
	d := sinks.NewGrouping(sinks.GroupOptions{By: []string{"project"}})
	first := route(sinks.RouteFirstSight, -2, "slack")
	d.Add(at(0), first(ev(event.TypeProjectDiscovered)))
	d.Add(at(0), route("all", 0, "slack")(ev(event.TypeStepStatusChanged, ".subject", "np_9")))
	d.Add(at(0.1), first(ev(event.TypeProjectDiscovered, ".subject", "np_2")))
	if got := notes(d.Due(at(0.1))); !reflect.DeepEqual(got, []string{"0 slack all project=np_9: step.status_changed"}) {
		t.Fatalf("due at once: %v", got)
	}
	wait := sinks.FirstSightWait.Minutes()
	want := []string{fmt.Sprintf("%g slack (first sight) source=oms://cn-hangzhou: project.discovered project.discovered", wait)}
	if got := notes(d.Due(at(wait))); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestGroupByTypeAndStep(t *testing.T) {
	deliver := route("", 0, "t")
	d := sinks.NewGrouping(sinks.GroupOptions{By: []string{"project", "step"}})
	d.Add(at(0), deliver(ev(event.TypeStepStatusChanged, "step", "A"), ev(event.TypeStepProgressChanged, "step", "B"),
		ev(event.TypeStepErrorRaised, "step", "A")))
	got := notes(d.Due(at(0)))
	want := []string{"0 t  project=np_1,step=A: step.status_changed step.error_raised", "0 t  project=np_1,step=B: step.progress_changed"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
}

func TestRateLimitSpacesAndMerges(t *testing.T) {
	deliver := route("r", 0, "slack", "log")
	d := sinks.NewGrouping(sinks.GroupOptions{RateLimits: map[string]sinks.RateLimit{"slack": {Count: 1, Per: time.Minute, Burst: 2}}})
	for i := range 4 {
		d.Add(at(0), deliver(ev(event.TypeStepStatusChanged, ".subject", fmt.Sprintf("np_%d", i))))
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
	d.Add(at(0.5), deliver(ev(event.TypeStepErrorRaised, ".subject", "np_2")))
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
