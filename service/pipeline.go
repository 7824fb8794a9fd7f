package service

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/differ"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// pipeline is the poller's Handler: diff -> rules (conditions, muting,
// routes) -> outbox -> rules state. It returns nil only once every event is
// stored in the outbox (which is when the poller saves the new snapshot),
// and saves the rules' state after that, so a crash at any point repeats
// work (with the same event ids, stored once) and loses none. The poller
// is its only producer, and calls it for one project at a time under the
// project's poll (and, with ha, its lease).
type pipeline struct {
	eng    *rules.Engine
	state  rules.StateStore
	outbox *sinks.Outbox
	// silences returns the silences in force (nil: none).
	silences func() *rules.Silences
	// observer hears what each hand-off made (metrics); may be nil.
	observer pipelineObserver
	// announce says how first sightings reach chat targets.
	announce announcer
	// routes name the routes in the records; noRecords keeps none (the
	// benchmarks' baseline).
	routes    routeNames
	noRecords bool
	// incidents follow each hand-off's events; nil when they are off.
	incidents *incidents
	log       *slog.Logger

	// record writes the observation log (backtests); may be nil.
	record *recorder
}

// Handle turns one change into events, routes them and publishes them.
func (p *pipeline) Handle(ctx context.Context, c poller.Change) error {
	events, err := changeEvents(c)
	if err != nil {
		return err
	}
	st, err := p.state.Load(ctx, c.Source, c.Project)
	if err != nil {
		return err
	}
	var sil *rules.Silences
	if p.silences != nil {
		sil = p.silences()
	}
	out, err := p.eng.Evaluate(rules.Poll{Source: c.Source, Prev: c.Previous, Cur: c.Current, Removed: c.Removed,
		Events: events, Now: c.Time, State: st, Silences: sil})
	if err != nil {
		return fmt.Errorf("rules for %s: %w", c.Project, err)
	}
	for _, e := range out.Errors {
		p.log.Warn("a rule expression failed; it counts as false", "project", c.Project, "error", e)
	}
	es := entries(c, out)
	for i := range es {
		if i < len(out.Decisions) && !p.noRecords {
			es[i].Routing = p.routes.routing(&out.Decisions[i], p.eng.Config().DefaultTo)
		}
	}
	if err := p.outbox.Publish(ctx, p.announce.apply(es)); err != nil {
		return err
	}
	if len(out.Transitions) > 0 && !p.noRecords {
		// The events are stored: a condition record that cannot be is
		// logged, and the poll goes on.
		if err := p.outbox.Record(ctx, conditionRecords(c.Source, c.Project, c.Time, out.Transitions)); err != nil {
			p.log.Warn("condition records not stored", "project", c.Project, "error", err)
		}
	}
	if p.incidents != nil {
		if err := p.incidents.handle(ctx, p.outbox, c, out, sil); err != nil {
			return fmt.Errorf("incidents of %s: %w", c.Project, err)
		}
	}
	if p.record != nil {
		if err := p.record.Record(ctx, c, out); err != nil {
			return err
		}
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

// entries are the outbox entries of an outcome: every event (muted and
// dropped ones too: the audit trail has everything) with its deliveries,
// and the project's status for status cards when something is delivered.
func entries(c poller.Change, out rules.Outcome) []sinks.Entry {
	var status *sinks.ProjectStatus
	if last := lastSnapshot(c); last != nil && len(out.Deliveries) > 0 {
		status = projectStatus(last, c.Time)
		status.ETA = out.ETA.String()
	}
	es := make([]sinks.Entry, len(out.Events))
	for i, e := range out.Events {
		es[i] = sinks.Entry{Event: e}
		if i >= len(out.Decisions) {
			continue
		}
		es[i].Deliveries = Deliveries(out.Decisions[i].Deliveries)
		if len(es[i].Deliveries) > 0 {
			es[i].Status = status
		}
	}
	return es
}

// announcer applies discovery.announce to the deliveries of first
// sightings to chat (Slack) targets: summary sends them on the first-sight
// route, which a chat target announces in one message per poll cycle (and
// the projects with problems on their own); none keeps only those with
// problems. Other targets get every event as the rules decided.
type announcer struct {
	mode string
	chat map[string]bool
}

func newAnnouncer(cfg *config.Config) announcer {
	a := announcer{mode: cfg.Discovery.Announce, chat: map[string]bool{}}
	for name := range cfg.Slack.Targets {
		a.chat[name] = true
	}
	return a
}

func (a announcer) apply(es []sinks.Entry) []sinks.Entry {
	for i := range es {
		es[i].Deliveries = a.deliveries(es[i].Deliveries)
	}
	return es
}

// deliveries applies the policy to deliveries of any events.
func (a announcer) deliveries(ds []sinks.Delivery) []sinks.Delivery {
	if a.mode == "" || a.mode == config.AnnounceEach {
		return ds
	}
	kept := ds[:0]
	for _, d := range ds {
		problems, _ := d.Event.Data.Fields["problems"].([]any)
		switch {
		case d.Event.Type != event.TypeProjectDiscovered || !a.chat[d.Target]:
		case a.mode == config.AnnounceSummary:
			d.Route, d.RouteIndex = sinks.RouteFirstSight, -2
		case len(problems) == 0:
			continue // announce: none
		}
		kept = append(kept, d)
	}
	return kept
}

// Deliveries hands the rules' decisions to delivery: the one place a
// rules.Delivery becomes a sinks.Delivery.
func Deliveries(ds []rules.Delivery) []sinks.Delivery {
	if len(ds) == 0 {
		return nil
	}
	out := make([]sinks.Delivery, len(ds))
	for i, d := range ds {
		out[i] = sinks.Delivery{Event: d.Event, Target: d.Target, Route: d.Route, RouteIndex: d.RouteIndex}
	}
	return out
}

// changeEvents are the events of a change: the differ's between the two
// snapshots (none for a quiet poll), oms.project.removed for a removal,
// and the poller's own. A project first seen RELEASED or DELETED (the
// poller marks it Removed, and tombstones it) is recorded by its
// oms.project.discovered and not announced as removed: what was never
// watched cannot go away (EVENTS.md v2).
func changeEvents(c poller.Change) ([]event.Event, error) {
	obs := differ.Observation{Source: c.Source, Time: c.Time.UTC()}
	var events []event.Event
	if c.Current != nil && !c.Quiet {
		res, err := differ.Diff(c.Previous, c.Current, obs)
		if err != nil {
			return nil, fmt.Errorf("diff %s: %w", c.Project, err)
		}
		events = append(events, res.Events...)
	}
	if last := lastSnapshot(c); c.Removed && last != nil && !firstSight(c) {
		e, err := differ.Removed(last, obs)
		if err != nil {
			return nil, fmt.Errorf("removal of %s: %w", c.Project, err)
		}
		events = append(events, e)
	}
	return append(events, c.Events...), nil
}

// firstSight reports whether the change is the first snapshot of a
// project: a new one and no stored one.
func firstSight(c poller.Change) bool { return c.Previous == nil && c.Current != nil }

// lastSnapshot is the project's last known state: the final snapshot of a
// project that reached RELEASED or DELETED, else the stored one.
func lastSnapshot(c poller.Change) *oms.Snapshot {
	if c.Current != nil {
		return c.Current
	}
	return c.Previous
}
