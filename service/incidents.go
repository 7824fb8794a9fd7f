package service

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/incident"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// incidents is the pipeline's incident stage: after a hand-off's events
// are in the outbox, the project's incidents follow them (package
// incident), and their own events are routed and published, then the
// project's record is saved. The pipeline runs it under the project's
// poll (and lease), so one replica owns a project's incidents; an
// acknowledgement written meanwhile is a conflict, and the stage reads
// the record again and repeats.
type incidents struct {
	store *incident.KVStore
	opts  incident.Options
	eng   *rules.Engine
	// by and window are incidents.correlate's.
	by     []string
	window time.Duration
	// escalateTo are the targets escalated incidents go to as well.
	escalateTo []string

	mu    sync.Mutex
	cache map[string]cachedRecord
}

// newIncidents builds the stage cfg asks for; nil when incidents are off.
func newIncidents(cfg *config.Config, store *incident.KVStore, eng *rules.Engine) *incidents {
	if !cfg.Incidents.Enabled || store == nil {
		return nil
	}
	ic := cfg.Incidents
	return &incidents{store: store, eng: eng, opts: incident.Options{ResolveHold: ic.ResolveHold, ResolveAfter: ic.ResolveAfter.Duration(),
		Runbook: runbookFunc(runbooksOf(cfg)), EscalateAfter: ic.Escalate.After.Duration(),
		Remind: map[event.Severity]time.Duration{event.Critical: ic.Remind.Critical.Duration(), event.Warning: ic.Remind.Warning.Duration()}},
		by: ic.Correlate.By, window: ic.Correlate.Window.Duration(), escalateTo: ic.Escalate.To}
}

// runbooksOf is incidents.runbooks, then the shipped runbooks unless
// incidents.shipped_runbooks is false.
func runbooksOf(cfg *config.Config) incident.Runbooks {
	user := make([]incident.Runbook, len(cfg.Incidents.Runbooks))
	for i, rb := range cfg.Incidents.Runbooks {
		user[i] = incident.Runbook{Match: rb.Match, Text: rb.Link}
	}
	return incident.NewRunbooks(user, cfg.Incidents.ShippedRunbooks)
}

// runbookFunc finds an incident's runbook: the first entry whose glob
// matches its error code or its cause; nil without any entry.
func runbookFunc(rbs incident.Runbooks) func(*incident.Incident) string {
	if rbs.IsZero() {
		return nil
	}
	return rbs.Incident
}

// handle runs one hand-off's outcome through the project's incidents.
func (s *incidents) handle(ctx context.Context, outbox *sinks.Outbox, c poller.Change, out rules.Outcome, sil *rules.Silences) error {
	p := incident.Poll{Source: c.Source, Events: out.Events, Removed: c.Removed, Time: c.Time.UTC()}
	if c.Current != nil {
		pr := c.Current.Project()
		p.Project, p.Digest, p.Endpoints = &pr, c.Current.Digest(), endpoints(c.Current)
	}
	for name, cs := range out.State.Conditions {
		if cs.Firing() {
			p.Firing = append(p.Firing, name)
		}
	}
	slices.Sort(p.Firing)
	for attempt := 0; ; attempt++ {
		rec, rev, cached, err := s.load(ctx, c.Source, c.Project, c.Time, attempt > 0)
		if err != nil {
			return err
		}
		next, events := incident.Track(s.opts, rec, p)
		if len(events) == 0 && slices.EqualFunc(next.Open, rec.Open, sameCount) {
			return nil // nothing changed: a quiet poll writes nothing
		}
		if cached {
			continue // events are made from the record in the bucket only
		}
		if err := s.fleets(ctx, &next, events); err != nil {
			return err
		}
		if err := outbox.Publish(ctx, s.entries(c, events, sil)); err != nil {
			return err
		}
		rev, err = s.store.Save(ctx, c.Source, c.Project, next, rev)
		if err == nil {
			s.remember(c.Source, c.Project, next, rev, c.Time)
			return nil
		}
		if !errors.Is(err, incident.ErrConflict) || attempt >= 4 {
			return err
		}
	}
}

// cacheFor is how long a project known to have no open incident is not
// read again from the bucket (by poll time). With ha, another replica may
// have opened one meanwhile: a poll that makes events reads the bucket
// anyway, and one whose problem has gone resolves that incident at most
// this late.
const cacheFor = 5 * time.Minute

// load reads a project's record: a quiet project known to have no open
// incident (cached true) from memory, unless fresh, else from the bucket.
// A cached record only says whether a poll changes anything: a poll that
// makes events reads the record afresh, and the save's compare-and-set
// catches a writer in between. So a quiet poll of a quiet project reads
// nothing.
func (s *incidents) load(ctx context.Context, source, project string, now time.Time, fresh bool) (incident.Record, uint64, bool, error) {
	k := source + "\x00" + project
	if !fresh {
		s.mu.Lock()
		c, ok := s.cache[k]
		s.mu.Unlock()
		if ok && now.Sub(c.at) < cacheFor {
			return incident.Record{}, c.rev, true, nil
		}
	}
	rec, rev, err := s.store.Load(ctx, source, project)
	if err == nil {
		s.remember(source, project, rec, rev, now)
	}
	return rec, rev, false, err
}

// remember notes a project without open incidents (and forgets one with).
func (s *incidents) remember(source, project string, rec incident.Record, rev uint64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := source + "\x00" + project
	if len(rec.Open) > 0 {
		delete(s.cache, k)
		return
	}
	if s.cache == nil {
		s.cache = map[string]cachedRecord{}
	}
	s.cache[k] = cachedRecord{rev: rev, at: now}
}

// cachedRecord is a project with no open incident, as of at.
type cachedRecord struct {
	rev uint64
	at  time.Time
}

// sameCount reports whether an open incident is where it was: a change of
// its clearing count or a new delay sample is written without an event.
func sameCount(a, b incident.Incident) bool {
	return a.ID == b.ID && a.Clear == b.Clear && a.Seq == b.Seq && len(a.Delays) == len(b.Delays) &&
		(len(a.Delays) == 0 || a.Delays[len(a.Delays)-1] == b.Delays[len(b.Delays)-1])
}

// entries routes incident events as the rules route any event (a silence
// that matches mutes them too); the project's status goes along for
// status cards.
func (s *incidents) entries(c poller.Change, events []event.Event, sil *rules.Silences) []sinks.Entry {
	var status *sinks.ProjectStatus
	if last := lastSnapshot(c); last != nil {
		status = projectStatus(last, c.Time)
	}
	es := make([]sinks.Entry, len(events))
	for i, e := range events {
		es[i] = sinks.Entry{Event: e, Status: status}
		if sil != nil && sil.Match(e, e.Time) != "" {
			continue
		}
		if d, err := s.eng.Route(e); err == nil {
			es[i].Deliveries = Deliveries(d.Deliveries)
		}
		if e.Data.Fields["escalated"] == true {
			es[i].Deliveries = escalate(es[i].Deliveries, e, s.escalateTo)
		}
	}
	return es
}

// escalate adds the escalation targets an event's routes do not already
// send it to.
func escalate(ds []sinks.Delivery, e event.Event, to []string) []sinks.Delivery {
	for _, t := range to {
		if !slices.ContainsFunc(ds, func(d sinks.Delivery) bool { return d.Target == t }) {
			ds = append(ds, sinks.Delivery{Event: e, Target: t, Route: "(escalate)", RouteIndex: -3})
		}
	}
	return ds
}

// incidentEntries routes an event made by hand (an acknowledgement, a
// resolution) for the outbox.
func incidentEntries(eng *rules.Engine, e event.Event) []sinks.Entry {
	es := []sinks.Entry{{Event: e}}
	if d, err := eng.Route(e); err == nil {
		es[0].Deliveries = Deliveries(d.Deliveries)
	}
	return es
}

// fleets puts the incidents that open into fleet incidents
// (incidents.correlate), keeps the fleets' members up to date, and adds
// each member's fleet (its id, title and projects) to its events.
func (s *incidents) fleets(ctx context.Context, rec *incident.Record, events []event.Event) error {
	for i := range events {
		in := findIncident(rec, events[i].Data.Text("incident"))
		if in == nil {
			continue
		}
		var f incident.Fleet
		var ok bool
		var err error
		if events[i].Type == event.TypeIncidentOpened && in.Fleet == "" {
			f, ok, err = s.store.Correlate(ctx, in, s.by, s.window)
		} else {
			f, ok, err = s.store.Follow(ctx, in)
		}
		if err != nil {
			return err
		}
		if ok {
			maps.Copy(events[i].Data.Fields, incident.FleetFields(f))
		}
	}
	return nil
}

func findIncident(rec *incident.Record, id string) *incident.Incident {
	for _, list := range [][]incident.Incident{rec.Open, rec.Resolved} {
		for i := range list {
			if list[i].ID == id {
				return &list[i]
			}
		}
	}
	return nil
}

// endpoints are a snapshot's source and destination endpoint ids.
func endpoints(s *oms.Snapshot) []string {
	var out []string
	for _, side := range []string{"SourceConnectInfo", "SinkConnectInfo"} {
		if m, ok := s.Member(side).(map[string]any); ok {
			if id, ok := m["EndpointId"].(string); ok && id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}
