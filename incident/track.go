package incident

import (
	"slices"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// DefaultResolveHold is how many polls in a row a cause must stay away
// before its incident resolves, unless configured.
const DefaultResolveHold = 2

// keepResolved is how many resolved incidents a project's record keeps
// for list and show; the audit trail keeps every one.
const keepResolved = 20

// Record is one project's incidents: the open ones, and the most recently
// resolved (oldest first).
type Record struct {
	Open     []Incident `json:"open,omitempty"`
	Resolved []Incident `json:"resolved,omitempty"`
}

// Options shape how incidents are tracked.
type Options struct {
	// ResolveHold is the polls in a row a cause must be absent before its
	// incident resolves (0: DefaultResolveHold).
	ResolveHold int
	// ResolveAfter is how long, besides ResolveHold polls, a cause must
	// have been absent before its incident resolves (0: the polls alone).
	// A step that fails every few minutes and recovers in between is one
	// incident while it flaps faster than this, not one an episode.
	ResolveAfter time.Duration
	// Runbook returns the runbook for an incident (nil: none).
	Runbook func(in *Incident) string
	// Remind is how often a firing incident nobody acknowledged is
	// announced again, by severity (absent or 0: never).
	Remind map[event.Severity]time.Duration
	// EscalateAfter is how long an incident may fire unacknowledged
	// before it escalates (0: never): its next event says escalated, and
	// so do all after it.
	EscalateAfter time.Duration
}

// Poll is one hand-off of one project to the tracker.
type Poll struct {
	Source string
	// Project is the project as of this poll; nil when the poll brought no
	// snapshot (a failed poll with only the poller's events): then only
	// the polls' own incident changes.
	Project *oms.Project
	// Events are every event of the hand-off (the differ's, the poller's,
	// the conditions').
	Events []event.Event
	// Firing are the rules whose conditions fire after this poll.
	Firing []string
	// Removed says the project is gone: every incident of it ends.
	Removed bool
	Time    time.Time
	// Digest is the snapshot's digest (empty without one), part of the
	// incident events' ids.
	Digest string
	// Endpoints are the project's source and destination endpoint ids.
	Endpoints []string
}

// cause is a cause present in a poll.
type cause struct {
	Cause
	sev event.Severity
	err *Error
}

// Track is one poll of one project: it opens an incident for each cause
// that has none, updates the ones that gathered events, counts the polls
// of the ones whose cause is away and resolves those at resolve_hold. It
// returns the project's next record and the incident events to publish
// (before the record is saved: their ids come from the record's sequence
// numbers, so a repeated poll makes the same events). It is pure.
func Track(o Options, rec Record, p Poll) (Record, []event.Event) {
	hold := o.ResolveHold
	if hold <= 0 {
		hold = DefaultResolveHold
	}
	t := tracker{o: o, p: &p}
	present := t.causes(rec)
	next := Record{Resolved: slices.Clone(rec.Resolved)}
	var out []event.Event
	seen := map[string]bool{}
	for _, in := range rec.Open {
		in.Events = slices.Clone(in.Events)
		t.refresh(&in)
		// Events it already has are a repeated hand-off (a crash before
		// the snapshot was saved): nothing new.
		members := slices.DeleteFunc(t.members(in.Cause, false), func(e event.Event) bool { return slices.Contains(in.Events, e.ID) })
		c, ok := present[in.Cause.Key()]
		trend := t.sample(&in) && in.Cause.Kind == KindCondition // a delay rule's news
		switch {
		case ok:
			seen[in.Cause.Key()] = true
			if ev, changed := t.keep(&in, c, members); changed {
				out = append(out, ev)
			} else if extra := t.nudge(&in); extra != nil || trend {
				out = append(out, t.event(&in, event.TypeIncidentUpdated, nil, extra))
			}
		case p.Removed:
			in.Reason = "removed"
			out = append(out, t.resolve(&in, members))
		case p.Project == nil && in.Cause.Kind != KindPoll:
			// No snapshot: nothing is known of this cause now.
			if len(members) > 0 {
				out = append(out, t.update(&in, members))
			}
		default:
			if in.Clear == 0 {
				in.ClearSince = p.Time
			}
			in.Clear++
			if in.Clear >= hold && !p.Time.Before(in.ClearSince.Add(o.ResolveAfter)) {
				in.Reason = "cleared"
				out = append(out, t.resolve(&in, members))
			} else if len(members) > 0 {
				out = append(out, t.update(&in, members))
			}
		}
		if in.Open() {
			next.Open = append(next.Open, in)
		} else {
			next.Resolved = append(next.Resolved, in)
		}
	}
	for _, c := range t.order {
		if seen[c.Key()] || p.Removed {
			continue
		}
		in := t.open(present[c.Key()])
		t.sample(&in)
		out = append(out, t.event(&in, event.TypeIncidentOpened, t.members(in.Cause, true), nil))
		next.Open = append(next.Open, in)
	}
	if n := len(next.Resolved) - keepResolved; n > 0 {
		next.Resolved = slices.Clone(next.Resolved[n:])
	}
	return next, out
}

type tracker struct {
	o     Options
	p     *Poll
	order []Cause // causes in the order found, for a stable event order
}

// causes finds what is wrong with the project in this poll.
func (t *tracker) causes(rec Record) map[string]cause {
	out := map[string]cause{}
	add := func(c cause) {
		if _, ok := out[c.Key()]; !ok {
			t.order = append(t.order, c.Cause)
		}
		out[c.Key()] = c
	}
	p := t.p
	if pr := p.Project; pr != nil && !p.Removed {
		stepped := false
		for _, s := range pr.Steps {
			failed := strings.EqualFold(s.Status, "FAILED")
			if !failed && len(s.Errors) == 0 {
				continue
			}
			c := cause{Cause: Cause{Kind: KindStep, Name: s.Name}, sev: event.Critical}
			if len(s.Errors) > 0 {
				e := s.Errors[0]
				c.err = &Error{Code: e.Code, Message: e.Message, Reason: e.Reason, Proposal: e.Proposal}
			}
			add(c)
			stepped = true
		}
		if strings.EqualFold(pr.Status, "FAILED") && !stepped {
			add(cause{Cause: Cause{Kind: KindProject, Name: "FAILED"}, sev: event.Critical})
		}
		// A condition that fires while the project or a step FAILED (a
		// failed_for rule, the delay of a failed sync) is that failure,
		// not a second incident: its events join the failure's.
		failing := stepped || strings.EqualFold(pr.Status, "FAILED")
		for _, rule := range p.Firing {
			if !failing {
				add(cause{Cause: Cause{Kind: KindCondition, Name: rule}, sev: t.conditionSeverity(rec, rule)})
			}
		}
	}
	if c, ok := t.pollCause(rec); ok {
		add(c)
	}
	return out
}

// conditionSeverity is the severity of a firing condition: its firing
// event's in this poll, else its incident's, else warning.
func (t *tracker) conditionSeverity(rec Record, rule string) event.Severity {
	for _, e := range t.p.Events {
		if e.Type == event.TypeConditionFiring && e.Data.Text("rule") == rule {
			return e.Severity
		}
	}
	for _, in := range rec.Open {
		if in.Cause == (Cause{Kind: KindCondition, Name: rule}) {
			return in.Severity
		}
	}
	return event.Warning
}

// pollCause says whether the project's polls are failing: a failing event
// now, or no snapshot yet since one (and no recovery).
func (t *tracker) pollCause(rec Record) (cause, bool) {
	c := cause{Cause: Cause{Kind: KindPoll}, sev: event.Warning}
	for _, e := range t.p.Events {
		if e.Data.Text("scope") == "account" {
			continue
		}
		switch e.Type {
		case event.TypePollFailing:
			c.err = &Error{Code: e.Data.Text("error_code"), Message: e.Data.Text("error")}
			return c, true
		case event.TypePollRecovered:
			return c, false
		}
	}
	if t.p.Project != nil || t.p.Removed {
		return c, false
	}
	for _, in := range rec.Open {
		if in.Cause.Kind == KindPoll && in.Clear == 0 {
			c.err = in.Error
			return c, true
		}
	}
	return c, false
}

// members are the events of this poll that belong to an incident of
// cause c; first says the incident opens now, which also takes the
// project's first sighting.
func (t *tracker) members(c Cause, first bool) []event.Event {
	var out []event.Event
	for _, e := range t.p.Events {
		var ok bool
		switch c.Kind {
		case KindStep:
			ok = strings.HasPrefix(e.Type, "oms.step.") && e.Type != event.TypeStepProgressChanged && e.Data.Text("step") == c.Name ||
				e.Type == event.TypeProjectStatusChanged || // the project FAILED because its step did
				e.Type == event.TypeConditionFiring // a condition that fires on the failure
		case KindCondition:
			ok = strings.HasPrefix(e.Type, "oms.condition.") && e.Data.Text("rule") == c.Name
		case KindProject:
			ok = e.Type == event.TypeProjectStatusChanged || e.Type == event.TypeConditionFiring
		case KindPoll:
			ok = strings.HasPrefix(e.Type, "oms.poll.") && e.Data.Text("scope") != "account"
		}
		if ok || (first && e.Type == event.TypeProjectDiscovered) || e.Type == event.TypeProjectRemoved {
			out = append(out, e)
		}
	}
	return out
}

// refresh brings an open incident's project up to this poll's.
func (t *tracker) refresh(in *Incident) {
	if pr := t.p.Project; pr != nil {
		in.Project = projectOf(pr)
	} else if len(t.p.Events) > 0 && t.p.Events[0].Data.Project.ID != "" {
		in.Project = t.p.Events[0].Data.Project
	}
}

func (t *tracker) open(c cause) Incident {
	in := Incident{Source: t.p.Source, Cause: c.Cause, State: Firing, Severity: c.sev, Started: t.p.Time,
		Updated: t.p.Time, Error: c.err, Endpoints: t.p.Endpoints}
	t.refresh(&in)
	if in.Project.ID == "" && len(t.p.Events) > 0 {
		in.Project.ID = t.p.Events[0].Subject
	}
	in.ID = newID(t.p.Source, in.Project.ID, c.Cause, t.p.Time)
	if t.o.Runbook != nil {
		in.Runbook = t.o.Runbook(&in)
	}
	return in
}

// keep updates an incident whose cause is present: a relapse while it was
// clearing, a higher severity, another error, or new events of it.
func (t *tracker) keep(in *Incident, c cause, members []event.Event) (event.Event, bool) {
	changed := len(members) > 0
	if in.Clear > 0 {
		in.Clear, in.ClearSince = 0, time.Time{}
		in.Relapses++
		changed = true
	}
	if c.sev.Rank() > in.Severity.Rank() {
		in.Severity = c.sev
		changed = true
	}
	if c.err != nil && (in.Error == nil || *c.err != *in.Error) {
		in.Error = c.err
		changed = true
	}
	if !changed {
		return event.Event{}, false
	}
	return t.update(in, members), true
}

// sample notes the project's sync delay on an incident, when OMS reports
// one; it reports whether the delay's trend changed.
func (t *tracker) sample(in *Incident) bool {
	pr := t.p.Project
	if pr == nil || !pr.SyncDelayKnown {
		return false
	}
	return in.sample(Sample{At: t.p.Time, Delay: pr.SyncDelay})
}

// nudge says whether a firing incident nobody took is due a reminder
// (every Remind of its severity since it was last announced) or escalates
// now (EscalateAfter since it started), and returns the fields to say so.
func (t *tracker) nudge(in *Incident) map[string]any {
	if in.State != Firing {
		return nil
	}
	var extra map[string]any
	now := t.p.Time
	if d := t.o.EscalateAfter; d > 0 && !in.Escalated && now.Sub(in.Started) >= d {
		in.Escalated = true
		extra = map[string]any{}
	}
	if d := t.o.Remind[in.Severity]; d > 0 && now.Sub(in.Announced) >= d {
		in.Reminders++
		if extra == nil {
			extra = map[string]any{}
		}
		extra["reminder"] = in.Reminders
	}
	return extra
}

func (t *tracker) update(in *Incident, members []event.Event) event.Event {
	return t.event(in, event.TypeIncidentUpdated, members, nil)
}

func (t *tracker) resolve(in *Incident, members []event.Event) event.Event {
	in.State, in.Ended = Resolved, t.p.Time
	return t.event(in, event.TypeIncidentResolved, members, nil)
}

// event is the incident's next event, made from its state after the
// change, with this poll's events of it.
func (t *tracker) event(in *Incident, typ string, members []event.Event, extra map[string]any) event.Event {
	in.Updated, in.Announced = t.p.Time, t.p.Time
	ids := make([]string, len(members))
	for i, e := range members {
		ids[i] = e.ID
	}
	in.addEvents(ids)
	return Event(in, typ, members, t.p.Time, t.p.Digest, extra)
}

// projectOf is the event's view of a project.
func projectOf(p *oms.Project) event.Project {
	return event.Project{ID: p.ID, Name: p.Name, Type: p.Type, Status: p.Status, Importance: p.Importance,
		Labels: p.LabelNames(), Owner: p.Owner}
}
