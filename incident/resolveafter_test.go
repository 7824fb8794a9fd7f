package incident

import (
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
)

// A step that fails for a minute every four, polled every minute: with
// resolve_hold alone each failure is an incident of its own; with
// resolve_after longer than its recoveries it is one incident that
// relapses, and it resolves once the step stayed well for that long.
func TestResolveAfterMakesAFlappingStepOneIncident(t *testing.T) {
	var polls []string
	for range 3 {
		polls = append(polls, "FAILED", "RUNNING", "RUNNING", "RUNNING")
	}
	polls = append(polls, "RUNNING", "RUNNING", "RUNNING", "RUNNING", "RUNNING")
	for _, tc := range []struct {
		after            time.Duration
		opened, resolved int
		relapses         int
		resolvedAt       int // the poll of the last resolution
	}{
		{after: 0, opened: 3, resolved: 3, resolvedAt: 10},
		{after: 5 * time.Minute, opened: 1, resolved: 1, relapses: 2, resolvedAt: 14},
	} {
		t.Run(tc.after.String(), func(t *testing.T) {
			var rec Record
			opened, resolved, at := 0, 0, -1
			for i, st := range polls {
				p := Poll{Source: "oms://test", Project: proj(st), Time: t0.Add(time.Duration(i) * time.Minute)}
				var out []event.Event
				rec, out = Track(Options{ResolveHold: 2, ResolveAfter: tc.after}, rec, p)
				for _, e := range out {
					switch e.Type {
					case event.TypeIncidentOpened:
						opened++
					case event.TypeIncidentResolved:
						resolved++
						at = i
					}
				}
			}
			if opened != tc.opened || resolved != tc.resolved || at != tc.resolvedAt {
				t.Errorf("%d opened, %d resolved, the last at poll %d; want %d, %d, at %d", opened, resolved, at, tc.opened, tc.resolved, tc.resolvedAt)
			}
			if len(rec.Open) != 0 || len(rec.Resolved) != tc.resolved {
				t.Fatalf("%d open, %d resolved kept", len(rec.Open), len(rec.Resolved))
			}
			if got := rec.Resolved[len(rec.Resolved)-1].Relapses; got != tc.relapses {
				t.Errorf("%d relapses, want %d", got, tc.relapses)
			}
		})
	}
}
