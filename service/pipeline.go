package service

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/omswatch/omswatch/differ"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// pipeline is the poller's Handler: diff -> conditions and routes ->
// outbox -> rules state. It returns nil only once every event is stored in
// the outbox (which is when the poller saves the new snapshot), and saves
// the rules' state after that, so a crash at any point repeats work (with
// the same event ids, stored once) and loses none.
type pipeline struct {
	eng    *rules.Engine
	state  rules.StateStore
	outbox *sinks.Outbox
	// silences returns the silences in force (nil: none).
	silences func() *rules.Silences
	// observer hears what each hand-off made (metrics); may be nil.
	observer pipelineObserver
	log      *slog.Logger
	// locks serialise the hand-offs of one project (a poll and a Tick),
	// whose rules state is read, evaluated and written back.
	locks sync.Map // source+"\x00"+project -> *sync.Mutex
}

// Handle turns one change into events, routes them and publishes them.
func (p *pipeline) Handle(ctx context.Context, c poller.Change) error {
	mu, _ := p.locks.LoadOrStore(c.Source+"\x00"+c.Project, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	events, err := changeEvents(c)
	if err != nil {
		return err
	}
	st, err := p.state.Load(ctx, c.Source, c.Project)
	if err != nil {
		return err
	}
	out, err := p.evaluate(c, events, st)
	if err != nil {
		return fmt.Errorf("rules for %s: %w", c.Project, err)
	}
	for _, e := range out.Errors {
		p.log.Warn("a rule expression failed; it counts as false", "project", c.Project, "error", e)
	}
	if err := p.outbox.Publish(ctx, entries(c, out)); err != nil {
		return err
	}
	if out.StateChanged {
		if err := p.state.Save(ctx, c.Source, c.Project, out.State); err != nil {
			return err
		}
	}
	for _, e := range out.Events {
		p.log.Debug("event", "project", c.Project, "event_id", e.ID, "type", e.Type, "severity", e.Severity)
	}
	if p.observer != nil {
		p.observer.Evaluated(c.Source, c.Project, out.Events, out.State)
	}
	return nil
}

// pipelineObserver hears what each hand-off made, for metrics: its events
// (before routing) and the project's rules state after it. It is called
// once the hand-off is durable; a hand-off that failed is repeated.
type pipelineObserver interface {
	Evaluated(source, project string, events []event.Event, st rules.State)
}

// evaluate runs the rules: Evaluate on every new snapshot (conditions
// included); the conditions of a project that is gone resolved; events
// without a snapshot (a confirmed removal, the poller's own) routed one by
// one under the silences.
func (p *pipeline) evaluate(c poller.Change, events []event.Event, st rules.State) (rules.Outcome, error) {
	var sil *rules.Silences
	if p.silences != nil {
		sil = p.silences()
	}
	var out rules.Outcome
	if c.Current != nil {
		var err error
		out, err = p.eng.Evaluate(rules.Poll{Source: c.Source, Prev: c.Previous, Cur: c.Current, Events: events,
			Now: c.Time, State: st, Silences: sil})
		if err != nil {
			return rules.Outcome{}, err
		}
		st = out.State
	} else {
		out = p.routeAlone(events, sil)
		out.State, out.StateChanged = st, false
	}
	if last := lastSnapshot(c); c.Removed && last != nil {
		r := p.eng.Resolve(c.Source, last, c.Time, st, sil)
		out.Events = append(out.Events, r.Events...)
		out.Decisions = append(out.Decisions, r.Decisions...)
		out.Deliveries = append(out.Deliveries, r.Deliveries...)
		out.Errors = append(out.Errors, r.Errors...)
		out.State, out.StateChanged = rules.State{}, true
	}
	return out, nil
}

// routeAlone routes events that come without a snapshot: no conditions,
// no once_per, but silences apply.
func (p *pipeline) routeAlone(events []event.Event, sil *rules.Silences) rules.Outcome {
	var out rules.Outcome
	for _, e := range events {
		d, err := p.eng.Route(e)
		if err != nil {
			out.Errors = append(out.Errors, err)
		}
		if sil != nil {
			if why := sil.Match(e, e.Time); why != "" {
				d.Muted, d.Deliveries = why, nil
			}
		}
		out.Events = append(out.Events, e)
		out.Decisions = append(out.Decisions, d)
		out.Deliveries = append(out.Deliveries, d.Deliveries...)
	}
	return out
}

// entries are the outbox entries of an outcome: every event (muted and
// dropped ones too: the audit trail has everything) with its deliveries,
// and the project's status for status cards when something is delivered.
func entries(c poller.Change, out rules.Outcome) []sinks.Entry {
	var status *sinks.ProjectStatus
	if last := lastSnapshot(c); last != nil && len(out.Deliveries) > 0 {
		status = projectStatus(last, c.Time)
	}
	es := make([]sinks.Entry, len(out.Events))
	for i, e := range out.Events {
		es[i] = sinks.Entry{Event: e}
		if i >= len(out.Decisions) {
			continue
		}
		for _, d := range out.Decisions[i].Deliveries {
			es[i].Deliveries = append(es[i].Deliveries, sinks.Delivery{Event: d.Event, Target: d.Target,
				Route: d.Route, RouteIndex: d.RouteIndex})
		}
		if len(es[i].Deliveries) > 0 {
			es[i].Status = status
		}
	}
	return es
}

// changeEvents are the events of a change: the differ's between the two
// snapshots, oms.project.removed for a removal, and the poller's own.
func changeEvents(c poller.Change) ([]event.Event, error) {
	obs := differ.Observation{Source: c.Source, Time: c.Time.UTC()}
	var events []event.Event
	if c.Current != nil {
		res, err := differ.Diff(c.Previous, c.Current, obs)
		if err != nil {
			return nil, fmt.Errorf("diff %s: %w", c.Project, err)
		}
		events = append(events, res.Events...)
	}
	if last := lastSnapshot(c); c.Removed && last != nil {
		e, err := differ.Removed(last, obs)
		if err != nil {
			return nil, fmt.Errorf("removal of %s: %w", c.Project, err)
		}
		events = append(events, e)
	}
	return append(events, c.Events...), nil
}

// lastSnapshot is the project's last known state: the final snapshot of a
// project that reached RELEASED or DELETED, else the stored one.
func lastSnapshot(c poller.Change) *oms.Snapshot {
	if c.Current != nil {
		return c.Current
	}
	if c.Previous != nil {
		return c.Previous
	}
	return nil
}
