package incident

import (
	"fmt"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// Summarize on edge cases: lists are bounded and the counts whole, a
// delay under a minute is in sync, a project whose last change the trail
// no longer keeps is quiet, an incident's ETA needs its samples, and a
// project's phase is its running step's, else the one that waits.
func TestSummarizeEdges(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	project := func(i int, status string, steps []oms.Step, delay time.Duration, changed time.Time) FleetProject {
		return FleetProject{Source: "oms://x", Changed: changed, Project: oms.Project{ID: fmt.Sprintf("np_%02d", i), Name: fmt.Sprintf("p%02d", i),
			Status: status, Steps: steps, SyncDelay: delay, SyncDelayKnown: delay > 0}}
	}
	incr := func(status string) []oms.Step {
		return []oms.Step{{Name: "INCR_TRANSFER", Phase: oms.PhaseIncr, Status: status}}
	}
	var in DigestInput
	in.Now, in.Since, in.QuietAfter, in.IncidentsOn = now, now.Add(-24*time.Hour), 7*24*time.Hour, true
	for i := range 30 {
		in.Projects = append(in.Projects, project(i, "RUNNING", incr("MONITORING"), time.Duration(i)*10*time.Second, time.Time{}))
		in.Incidents = append(in.Incidents, Incident{ID: fmt.Sprintf("inc-%02d", i), Source: "oms://x", Project: event.Project{ID: fmt.Sprintf("np_%02d", i)},
			State: Firing, Started: now.Add(-time.Duration(i) * time.Hour)})
	}
	in.Projects = append(in.Projects, project(30, "RUNNING", incr("RUNNING"), 0, now), project(31, "FINISHED", incr("FINISHED"), 0, now))
	in.Incidents[29].Delays = []Sample{{At: now.Add(-2 * time.Minute), Delay: 290 * time.Second}, {At: now.Add(-time.Minute), Delay: 290 * time.Second}, {At: now, Delay: 290 * time.Second}}
	d := Summarize(in)
	if d.Projects != 32 || d.OpenCount != 30 || len(d.Open) != digestListed || d.Open[0].ID != "inc-29" {
		t.Errorf("projects %d, open %d listed %d first %s", d.Projects, d.OpenCount, len(d.Open), d.Open[0].ID)
	}
	if d.OpenedCount != 25 || len(d.Opened) != 20 { // started within the day: 0 to 24 hours ago
		t.Errorf("opened %d listed %d, want 25 and 20", d.OpenedCount, len(d.Opened))
	}
	if len(d.Delays) != digestDelays || d.Delays[0].Project.ID != "np_29" || d.Delays[0].Trend != Stalled || d.Delays[9].DelaySeconds < 60 {
		t.Errorf("delays %+v", d.Delays)
	}
	if d.QuietCount != 30 || len(d.Quiet) != digestListed {
		t.Errorf("quiet %d listed %d, want 30 (no change kept) and 20", d.QuietCount, len(d.Quiet))
	}
	want := []event.Count{{Name: "incr", Count: 31}, {Name: PhaseNone, Count: 1}}
	if fmt.Sprint(d.ByPhase) != fmt.Sprint(want) {
		t.Errorf("by phase %v, want %v", d.ByPhase, want)
	}
}
