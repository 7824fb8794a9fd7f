package service

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/rules/kvstate"
	"github.com/omswatch/omswatch/sinks"
)

// BacktestQuery says what history a backtest replays.
type BacktestQuery struct {
	// Project, if set, is the one project to replay (else every one).
	Project string
	// Since, if set, compares only what was sent from then on; the
	// history before it still brings the conditions' state up to date.
	Since time.Time
}

// Sending is one event for one target: what was sent, or would be.
type Sending struct {
	Event  event.Event
	Target string
	// Route is the route's name ("" for default_to and unnamed routes).
	Route string
	// Severity is what the target gets (a route may override it).
	Severity event.Severity
}

// Backtest is the outcome of replaying the audit trail's history through
// a configuration's rules, beside what the running rules sent.
type Backtest struct {
	// From and To span the observations replayed (To: the last one).
	From, To time.Time
	// Since is where the comparison starts (zero: the whole history);
	// Now, if set, when the backtest ran.
	Since, Now time.Time
	// Projects and Observations count what was replayed.
	Projects, Observations int
	// Sent and Would count the sendings compared (event, target).
	Sent, Would int
	// Added would be sent and were not; Removed were sent and would not
	// be; Changed were sent and would be, by another route or with
	// another severity: Was is what was sent, Now what would be.
	Added, Removed []Sending
	Changed        []Change
	// Gaps tell where the history could not be rebuilt (records aged out
	// of the stream's retention): the replay resumed at the next whole
	// snapshot.
	Gaps []string
	// ExpressionErrors are rule expressions that failed (they count as
	// false), as many as failed.
	ExpressionErrors []error
}

// Change is a sending whose route or severity would change.
type Change struct{ Was, Now Sending }

// RunBacktest replays the observations the audit trail keeps (the
// OMSWATCH_OBSERVATIONS stream beside OMSWATCH_EVENTS) through cfg's
// rules, on the history's clock, and compares what they would send with
// what was sent (the deliveries stored with each event). It opens the
// store as history does (openTrail: through a running omswatch, an
// external NATS, or the store directory opened here); it creates nothing
// and sends nothing. The stored silences mute the history at their own
// times.
func RunBacktest(ctx context.Context, cfg *config.Config, eng *rules.Engine, q BacktestQuery, log *slog.Logger) (*Backtest, error) {
	a := &app{}
	defer a.close()
	js, err := openTrail(ctx, a, cfg, log)
	if err != nil {
		return nil, err
	}
	return backtest(ctx, js, cfg, eng, q)
}

// backtest is RunBacktest on a stream already reached.
func backtest(ctx context.Context, js jetstream.JetStream, cfg *config.Config, eng *rules.Engine, q BacktestQuery) (*Backtest, error) {
	var err error
	subject := sinks.DefaultObservationPrefix + ".>"
	if q.Project != "" {
		subject = sinks.DefaultObservationPrefix + ".*." + sinks.Token(q.Project)
	}
	bt := &Backtest{Since: q.Since}
	rb := newRebuilder(cfg, eng, bt)
	if rb.silences, err = storedSilences(ctx, js, cfg); err != nil {
		return nil, err
	}
	err = sinks.ReadMessages(ctx, js, sinks.ReadQuery{Stream: sinks.DefaultObservationStream, Subject: subject}, func(m sinks.StoredMsg) error {
		o, err := decodeObservation(m.Data)
		if err != nil {
			return fmt.Errorf("observation log, message %d: %w", m.Seq, err)
		}
		if q.Project != "" && o.Project != q.Project {
			return nil // tokens of two ids may coincide
		}
		return rb.observe(ctx, o)
	})
	if err != nil {
		return nil, err
	}
	if bt.Observations == 0 {
		return nil, fmt.Errorf("the audit trail keeps no observations%s: it is written from this version on, while the service polls (is --config naming the store the service runs with?)", forProject(q.Project))
	}
	sent, err := readSent(ctx, js, q, rb.first)
	if err != nil {
		return nil, err
	}
	bt.Projects = len(rb.first)
	bt.compare(sent, rb.would, q.Since)
	return bt, nil
}

// NewBacktestQuery reads replay's --project and --since (a duration back
// from now, or an RFC 3339 time); its error is the input's (ErrInvalid).
func NewBacktestQuery(project, since string, now time.Time) (BacktestQuery, error) {
	q := BacktestQuery{Project: project}
	if since == "" {
		return q, nil
	}
	t, err := ParseSince(since, now)
	if err != nil {
		return q, Invalid(fmt.Errorf("--since %w", err))
	}
	q.Since = t
	return q, nil
}

// storedSilences are the silences the bucket keeps, expired ones too (for
// 7 days after their end): each mutes the history of its own time.
func storedSilences(ctx context.Context, js jetstream.JetStream, cfg *config.Config) (*rules.Silences, error) {
	b, err := kvstate.OpenSilences(ctx, js, cfg.Rules.SilenceBucket)
	if err != nil || b == nil {
		return nil, err
	}
	list, err := b.List(ctx)
	if err != nil {
		return nil, err
	}
	sil, err := rules.NewSilences(list)
	if err != nil {
		return nil, fmt.Errorf("silences: %w", err)
	}
	return sil, nil
}

func forProject(id string) string {
	if id == "" {
		return ""
	}
	return " of project " + id
}

// readSent reads what the running rules sent: each stored event's
// deliveries, for the projects the observation log covers, from the time
// it begins for each.
func readSent(ctx context.Context, js jetstream.JetStream, q BacktestQuery, first map[[2]string]time.Time) ([]Sending, error) {
	subject := sinks.DefaultPrefix + ".>"
	if q.Project != "" {
		subject = sinks.DefaultPrefix + ".*." + sinks.Token(q.Project) + ".>"
	}
	var out []Sending
	err := sinks.ReadMessages(ctx, js, sinks.ReadQuery{Stream: sinks.DefaultStream, Subject: subject, Since: q.Since}, func(m sinks.StoredMsg) error {
		e, err := sinks.DecodeEvent(m.Data)
		if err != nil {
			return fmt.Errorf("audit trail, message %d: %w", m.Seq, err)
		}
		begin, ok := first[[2]string{e.Source, e.Subject}]
		if !ok || e.Time.Before(begin) || e.Time.Before(q.Since) {
			return nil // before the observation log: nothing to compare with
		}
		for _, d := range sinks.StoredDeliveries(m.Header, e) {
			out = append(out, sending(d))
		}
		return nil
	})
	return out, err
}

func sending(d sinks.Delivery) Sending {
	return Sending{Event: d.Event, Target: d.Target, Route: d.Route, Severity: d.Event.Severity}
}

// compare sorts the sendings into added, removed and changed.
func (bt *Backtest) compare(sent, would []Sending, since time.Time) {
	type key struct{ id, target string }
	was := map[key]Sending{}
	for _, s := range sent {
		was[key{s.Event.ID, s.Target}] = s
	}
	bt.Sent = len(was)
	now := map[key]Sending{}
	for _, s := range would {
		if s.Event.Time.Before(since) {
			continue
		}
		k := key{s.Event.ID, s.Target}
		if _, dup := now[k]; dup {
			continue
		}
		now[k] = s
		bt.Would++
		w, ok := was[k]
		switch {
		case !ok:
			bt.Added = append(bt.Added, s)
		case w.Route != s.Route || w.Severity != s.Severity:
			bt.Changed = append(bt.Changed, Change{Was: w, Now: s})
		}
	}
	for k, s := range was {
		if _, ok := now[k]; !ok {
			bt.Removed = append(bt.Removed, s)
		}
	}
	bt.pair()
	order := func(a, b Sending) int {
		return cmp.Or(a.Event.Time.Compare(b.Event.Time), cmp.Compare(a.Event.Subject, b.Event.Subject),
			cmp.Compare(a.Event.Type, b.Event.Type), cmp.Compare(a.Event.ID, b.Event.ID), cmp.Compare(a.Target, b.Target))
	}
	slices.SortFunc(bt.Added, order)
	slices.SortFunc(bt.Removed, order)
	slices.SortFunc(bt.Changed, func(a, b Change) int { return order(a.Now, b.Now) })
}

// pair turns an added and a removed sending of the same kind into a
// change: for a condition, its event of the same type for the same
// episode (pending since the same time: a resolution that comes a poll
// later); for another event, the same type at the same time.
func (bt *Backtest) pair() {
	type kind struct{ project, typ, rule, target, at string }
	kindOf := func(s Sending) kind {
		rule, _ := s.Event.Data.Fields["rule"].(string)
		at, _ := s.Event.Data.Fields["since"].(string)
		if rule == "" || at == "" {
			at = s.Event.Time.UTC().Format(time.RFC3339Nano)
		}
		return kind{s.Event.Subject, s.Event.Type, rule, s.Target, at}
	}
	removed := map[kind][]Sending{}
	for _, s := range bt.Removed {
		removed[kindOf(s)] = append(removed[kindOf(s)], s)
	}
	added := bt.Added[:0]
	for _, s := range bt.Added {
		k := kindOf(s)
		if len(removed[k]) == 0 {
			added = append(added, s)
			continue
		}
		bt.Changed = append(bt.Changed, Change{Was: removed[k][0], Now: s})
		removed[k] = removed[k][1:]
	}
	bt.Added, bt.Removed = added, bt.Removed[:0]
	for _, ss := range removed {
		bt.Removed = append(bt.Removed, ss...)
	}
}

// rebuilder turns observation records back into the changes the pipeline
// was handed, and runs them through the rules as the pipeline does.
type rebuilder struct {
	eng      *rules.Engine
	state    rules.MemStore
	announce announcer
	bt       *Backtest
	// silences are the stored ones (nil: none).
	silences *rules.Silences
	// last is each project's rebuilt snapshot (standing for the
	// original's digest); first when its history begins.
	last     map[[2]string]*oms.Snapshot
	lastTime map[[2]string]time.Time
	broken   map[[2]string]bool
	first    map[[2]string]time.Time
	would    []Sending
}

func newRebuilder(cfg *config.Config, eng *rules.Engine, bt *Backtest) *rebuilder {
	return &rebuilder{eng: eng, announce: newAnnouncer(cfg), bt: bt, last: map[[2]string]*oms.Snapshot{},
		lastTime: map[[2]string]time.Time{}, broken: map[[2]string]bool{}, first: map[[2]string]time.Time{}}
}

// observe replays one record: the observations that decided nothing
// before it, then its own.
func (r *rebuilder) observe(ctx context.Context, o observation) error {
	key := [2]string{o.Source, o.Project}
	last, digest := r.last[key], ""
	if last != nil {
		digest = last.Digest()
	}
	if outOfChain(o, r.lastTime[key], digest, last != nil) {
		return nil
	}
	if r.bt.From.IsZero() || o.Time.Before(r.bt.From) {
		r.bt.From = o.Time
	}
	if o.Time.After(r.bt.To) {
		r.bt.To = o.Time
	}
	r.bt.Observations += 1 + len(o.Idle)
	if !o.IdleFrom.IsZero() && o.IdleFrom.Before(r.bt.From) {
		r.bt.From = o.IdleFrom
	}
	r.lastTime[key] = o.Time
	if o.Omitted {
		r.gap(o, "the snapshot was larger than the server's max_payload and is not kept")
		return nil
	}
	at := o.IdleFrom
	for _, e := range o.Idle {
		at = at.Add(time.Duration(e.Gap) * time.Millisecond)
		last := r.last[key]
		if last == nil {
			continue // before its history begins
		}
		c := poller.Change{Source: o.Source, Project: o.Project, Time: at, Previous: last, Current: last, Quiet: e.Patch == nil}
		if e.Patch != nil {
			s, err := oms.Canonicalize(applyMergePatch(last.Tree(), e.Patch))
			if err != nil {
				return fmt.Errorf("observation of %s at %s: %w", o.Project, stamp(at), err)
			}
			c.Current = s.StandingFor(e.Digest)
			r.last[key] = c.Current
		}
		if err := r.run(ctx, c); err != nil {
			return err
		}
	}
	c, ok, err := r.change(o)
	if err != nil || !ok {
		return err
	}
	return r.run(ctx, c)
}

// change rebuilds the change a record stands for; ok is false when the
// chain is broken (the record before it is gone) until the next whole
// snapshot.
func (r *rebuilder) change(o observation) (poller.Change, bool, error) {
	key := [2]string{o.Source, o.Project}
	c := poller.Change{Source: o.Source, Project: o.Project, Time: o.Time, Quiet: o.Quiet, Removed: o.Removed}
	for _, raw := range o.Events {
		e, err := sinks.DecodeEvent(raw)
		if err != nil {
			return c, false, fmt.Errorf("observation of %s at %s: %w", o.Project, stamp(o.Time), err)
		}
		c.Events = append(c.Events, e)
	}
	last := r.last[key]
	if o.Prev != "" {
		if last == nil || short(last.Digest()) != o.Prev {
			if o.Snapshot == nil {
				r.gap(o, "the records before it are gone")
				return c, false, nil
			}
			last = nil // the whole snapshot starts the chain again
		}
		c.Previous = last
	}
	var cur *oms.Snapshot
	switch {
	case o.Snapshot != nil:
		s, err := oms.ParseSnapshot(o.Snapshot)
		if err != nil {
			return c, false, fmt.Errorf("observation of %s at %s: %w", o.Project, stamp(o.Time), err)
		}
		cur = s.StandingFor(o.Digest)
		delete(r.broken, key)
	case o.Digest == "":
	case last == nil:
		r.gap(o, "the records before it are gone")
		return c, false, nil
	case o.Patch == nil:
		cur = last.StandingFor(o.Digest) // the same snapshot, its digest whole
		if c.Quiet {
			c.Previous = cur
		}
	default:
		s, err := oms.Canonicalize(applyMergePatch(last.Tree(), o.Patch))
		if err != nil {
			return c, false, fmt.Errorf("observation of %s at %s: %w", o.Project, stamp(o.Time), err)
		}
		cur = s.StandingFor(o.Digest)
	}
	c.Current = cur
	if cur != nil {
		r.last[key] = cur
	}
	if o.Prev != "" && c.Previous == nil {
		return c, false, nil // the history resumes here: nothing to compare it with
	}
	return c, true, nil
}

// gap notes where a project's chain breaks, once until it resumes.
func (r *rebuilder) gap(o observation, why string) {
	key := [2]string{o.Source, o.Project}
	if !r.broken[key] {
		r.bt.Gaps = append(r.bt.Gaps, fmt.Sprintf("%s %s: %s; resumed at its next whole snapshot",
			o.Time.Format(time.RFC3339), o.Project, why))
	}
	r.broken[key] = true
	delete(r.last, key)
}

// run does what the pipeline does with a change, up to the outbox.
func (r *rebuilder) run(ctx context.Context, c poller.Change) error {
	if _, ok := r.first[[2]string{c.Source, c.Project}]; !ok {
		r.first[[2]string{c.Source, c.Project}] = c.Time
	}
	events, err := changeEvents(c)
	if err != nil {
		return err
	}
	st, err := r.state.Load(ctx, c.Source, c.Project)
	if err != nil {
		return err
	}
	out, err := r.eng.Evaluate(rules.Poll{Source: c.Source, Prev: c.Previous, Cur: c.Current, Removed: c.Removed,
		Events: events, Now: c.Time, State: st, Silences: r.silences})
	if err != nil {
		return fmt.Errorf("rules for %s: %w", c.Project, err)
	}
	r.bt.ExpressionErrors = append(r.bt.ExpressionErrors, out.Errors...)
	if c.Time.Before(r.bt.Since) {
		return r.state.Save(ctx, c.Source, c.Project, out.State) // it only brings the state up to date
	}
	for _, en := range r.announce.apply(entries(c, out)) {
		for _, d := range en.Deliveries {
			r.would = append(r.would, sending(d))
		}
	}
	return r.state.Save(ctx, c.Source, c.Project, out.State)
}
