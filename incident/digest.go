package incident

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// FleetProject is one watched project as a digest sees it: its last
// snapshot's view, when it last changed (its last event in the audit
// trail; zero when the trail keeps none) and its sync delay at its last
// polls (the samples the rules keep in their state, project.Incr.ETA's).
type FleetProject struct {
	Source  string
	Project oms.Project
	Changed time.Time
	Delays  []oms.DelaySample
}

// DigestInput is what a digest is made of: the fleet, the incidents the
// bucket keeps (open and recently resolved; nil with incidents off), the
// time of the digest and of the one before, and how long a project must
// be without a change to be quiet.
type DigestInput struct {
	Now, Since  time.Time
	Projects    []FleetProject
	Incidents   []Incident
	IncidentsOn bool
	QuietAfter  time.Duration
}

// Bounds of a digest's lists: a summary of a fleet of thousands is read
// at a glance, and an event must stay far below NATS's 1 MiB. The counts
// beside the lists are whole.
const (
	digestListed = 20
	digestDelays = 10
)

// PhaseNone is the phase of a project in which no step runs (finished,
// not started).
const PhaseNone = "none"

// Summarize makes the digest of in. It is pure: the same input gives the
// same digest, which is what the golden test reads.
//
// The delays are the snapshots' (ExtraInfo.SyncDelay, every project's,
// as of its last poll). Their trend is read (Estimate, as everywhere an
// ETA is shown) from the delay samples of the project's last polls that
// the rules keep in their state bucket (FleetProject.Delays, every lagging
// project's), else from those an open incident keeps (Incident.Delays):
// both are in the store, so a digest made offline has them, where the
// observation log (OMSWATCH_OBSERVATIONS) would have to be replayed patch
// by patch and a snapshot holds one sample only.
func Summarize(in DigestInput) event.Digest {
	d := event.Digest{Since: in.Since.UTC(), Projects: len(in.Projects), Incidents: in.IncidentsOn,
		QuietAfter: in.QuietAfter.String(), ByStatus: []event.Count{}, ByPhase: []event.Count{},
		Open: []event.DigestIncident{}, Delays: []event.DigestDelay{}, Opened: []event.DigestIncident{},
		Resolved: []event.DigestIncident{}, Quiet: []event.DigestProject{}}
	byKey := map[string]event.DigestProject{}
	status, phase := map[string]int{}, map[string]int{}
	for _, p := range in.Projects {
		dp := digestProject(p)
		byKey[p.Source+"\x00"+dp.ID] = dp
		status[dp.Status]++
		phase[dp.Phase]++
	}
	d.ByStatus = counts(status, func(a, b string) int { return cmp.Or(cmp.Compare(status[b], status[a]), cmp.Compare(a, b)) })
	d.ByPhase = counts(phase, comparePhases)
	d.Delays = delays(in, byKey)
	d.Quiet, d.QuietCount = quiet(in, byKey)
	var open, opened, resolved []Incident
	for _, inc := range in.Incidents {
		if inc.Open() {
			open = append(open, inc)
		}
		if !inc.Started.Before(in.Since) {
			opened = append(opened, inc)
		}
		if inc.State == Resolved && !inc.Ended.Before(in.Since) {
			resolved = append(resolved, inc)
		}
	}
	byStart := func(a, b Incident) int { return cmp.Or(a.Started.Compare(b.Started), cmp.Compare(a.ID, b.ID)) }
	slices.SortFunc(open, byStart)
	slices.SortFunc(opened, byStart)
	slices.SortFunc(resolved, func(a, b Incident) int { return cmp.Or(a.Ended.Compare(b.Ended), cmp.Compare(a.ID, b.ID)) })
	d.Open, d.OpenCount = digestIncidents(open, in.Now, byKey), len(open)
	d.Opened, d.OpenedCount = digestIncidents(opened, in.Now, byKey), len(opened)
	d.Resolved, d.ResolvedCount = digestIncidents(resolved, in.Now, byKey), len(resolved)
	return d
}

func digestProject(p FleetProject) event.DigestProject {
	pr := p.Project
	return event.DigestProject{Source: p.Source, ID: pr.ID, Name: cmp.Or(pr.Name, pr.ID), Status: cmp.Or(pr.Status, "UNKNOWN"),
		Phase: projectPhase(pr), Changed: p.Changed.UTC()}
}

// projectPhase is the phase of the step that runs, else of the first step
// that waits on something (MONITORING, FAILED, SUSPEND), else none.
func projectPhase(p oms.Project) string {
	if s := p.RunningStep(); s.Name != "" {
		return string(s.Phase)
	}
	for _, s := range p.Steps {
		switch strings.ToUpper(s.Status) {
		case "MONITORING", "FAILED", "SUSPEND":
			return string(s.Phase)
		}
	}
	return PhaseNone
}

func counts(m map[string]int, order func(a, b string) int) []event.Count {
	out := make([]event.Count, 0, len(m))
	for _, k := range slices.SortedFunc(maps.Keys(m), order) {
		out = append(out, event.Count{Name: k, Count: m[k]})
	}
	return out
}

// comparePhases orders phases as a project goes through them, none last.
func comparePhases(a, b string) int {
	rank := func(p string) int {
		if i := slices.Index(oms.Phases(), oms.Phase(p)); i >= 0 {
			return i
		}
		return len(oms.Phases())
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b))
}

// delays are the largest sync delays of at least MinDelay (below it a
// project is in sync), largest first, with the trend an open incident of
// the project reads from its samples.
func delays(in DigestInput, byKey map[string]event.DigestProject) []event.DigestDelay {
	samples := map[string][]Sample{}
	for _, p := range in.Projects {
		samples[p.Source+"\x00"+p.Project.ID] = p.Delays
	}
	for _, inc := range in.Incidents {
		k := inc.Source + "\x00" + inc.Project.ID
		if inc.Open() && len(inc.Delays) > len(samples[k]) {
			samples[k] = inc.Delays
		}
	}
	var out []event.DigestDelay
	for _, p := range in.Projects {
		pr := p.Project
		if !pr.SyncDelayKnown || pr.SyncDelay < MinDelay {
			continue
		}
		dd := event.DigestDelay{Project: byKey[p.Source+"\x00"+pr.ID], Delay: pr.SyncDelay.String(),
			DelaySeconds: int64(pr.SyncDelay / time.Second)}
		if e, ok := Estimate(samples[p.Source+"\x00"+pr.ID]); ok && e.Delay >= MinDelay {
			dd.Trend, dd.ETA = e.Trend, e.String()
		}
		out = append(out, dd)
	}
	slices.SortFunc(out, func(a, b event.DigestDelay) int {
		return cmp.Or(cmp.Compare(b.DelaySeconds, a.DelaySeconds), cmp.Compare(a.Project.Name, b.Project.Name))
	})
	if out == nil {
		return []event.DigestDelay{}
	}
	return out[:min(len(out), digestDelays)]
}

// quiet are the projects with no change for QuietAfter, the longest quiet
// first (those whose last change the audit trail no longer keeps before
// all), and how many there are.
func quiet(in DigestInput, byKey map[string]event.DigestProject) ([]event.DigestProject, int) {
	out := []event.DigestProject{}
	for _, p := range in.Projects {
		if p.Changed.IsZero() || in.Now.Sub(p.Changed) >= in.QuietAfter {
			out = append(out, byKey[p.Source+"\x00"+p.Project.ID])
		}
	}
	slices.SortFunc(out, func(a, b event.DigestProject) int {
		return cmp.Or(a.Changed.Compare(b.Changed), cmp.Compare(a.Name, b.Name))
	})
	return out[:min(len(out), digestListed)], len(out)
}

func digestIncidents(list []Incident, now time.Time, byKey map[string]event.DigestProject) []event.DigestIncident {
	out := make([]event.DigestIncident, 0, min(len(list), digestListed))
	for _, in := range list[:min(len(list), digestListed)] {
		p, ok := byKey[in.Source+"\x00"+in.Project.ID]
		if !ok { // a project gone since
			p = event.DigestProject{Source: in.Source, ID: in.Project.ID, Name: cmp.Or(in.Project.Name, in.Project.ID),
				Status: cmp.Or(in.Project.Status, "UNKNOWN"), Phase: PhaseNone}
		}
		di := event.DigestIncident{ID: in.ID, Project: p, Title: in.Title(), Severity: in.Severity, State: string(in.State),
			Started: in.Started.UTC(), Ended: in.Ended.UTC(), Lasted: in.Lasted(now).String()}
		if in.Ack != nil {
			di.AckedBy, di.AckedAt = in.Ack.By, in.Ack.At.UTC()
		}
		out = append(out, di)
	}
	return out
}
