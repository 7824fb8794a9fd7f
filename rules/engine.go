package rules

import (
	"slices"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// Engine is the compiled rules: routes, conditions and inhibitions. It is
// built once by New and is safe for concurrent use; evaluation is pure: it
// reads its inputs, returns what to send and the project's next State, and
// sends and stores nothing.
type Engine struct {
	cfg        Config
	cat        *catalog
	router     *Router
	conditions []*condition
	inhibits   []*inhibit
}

// New compiles the rules. Every problem is reported at once, as Errors, each
// with where it was written: expressions that do not compile (with their
// type errors), patterns that are not valid, matchers no event of the
// catalog can satisfy, unknown targets.
func New(cfg Config) (*Engine, error) {
	p := &problems{}
	e := &Engine{cfg: cfg, cat: newCatalog()}
	e.router = newRouter(e.cat, cfg.Routes, p)
	names := map[string]string{}
	for _, c := range cfg.Conditions {
		if first, dup := names[c.Name]; dup && c.Name != "" {
			p.add(c.Where, c.Path+".name", "%q is already the name of the condition at %s", c.Name, first)
		}
		names[c.Name] = c.Where
		e.conditions = append(e.conditions, compileCondition(c, cfg.RepeatInterval, p))
	}
	condNames := make([]string, 0, len(cfg.Conditions))
	for _, c := range cfg.Conditions {
		condNames = append(condNames, c.Name)
	}
	for _, in := range cfg.Inhibit {
		e.inhibits = append(e.inhibits, compileInhibit(e.cat, in, condNames, p))
	}
	e.checkTargets(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return e, nil
}

// checkTargets reports targets that are not among cfg.Targets.
func (e *Engine) checkTargets(p *problems) {
	if e.cfg.Targets == nil {
		return
	}
	check := func(where, path string, names []string) {
		for _, n := range names {
			if !slices.Contains(e.cfg.Targets, n) {
				p.add(where, path, "unknown target %q", n)
			}
		}
	}
	for _, rt := range e.cfg.Routes {
		check(rt.Where, rt.Path+".to", rt.To)
	}
	check("", "rules.default_to", e.cfg.DefaultTo)
}

// Poll is one observation of one project.
type Poll struct {
	// Source is the event source of the project (oms://<region>...).
	Source string
	// Prev is the previous snapshot (nil on first sight), Cur the new one:
	// nil when the poll brought none (a removal confirmed by "not found",
	// a failed poll with only the poller's events). Without Cur, no
	// condition is evaluated; Prev stands for the project.
	Prev, Cur *oms.Snapshot
	// Removed says the project is gone and is not polled again: its firing
	// conditions resolve and its State ends.
	Removed bool
	// Events are the differ's events for (Prev, Cur), in its order, and
	// the poller's own.
	Events []event.Event
	// Now is when Cur was observed: the clock of for, keep_firing_for,
	// repeat_interval and silences.
	Now time.Time
	// State is the project's State as last saved (the zero State at first).
	State State
	// Silences are the silences in force; nil means none.
	Silences *Silences
}

// last is the project's latest known snapshot, or nil.
func (p *Poll) last() *oms.Snapshot {
	if p.Cur != nil {
		return p.Cur
	}
	return p.Prev
}

// Outcome is what evaluating one Poll produced.
type Outcome struct {
	// Events are Poll.Events followed by the condition events; each has
	// the Decision of the same index.
	Events    []event.Event
	Decisions []Decision
	// Deliveries are what to send, in event order.
	Deliveries []Delivery
	// State is the project's next State; save it after publishing the
	// deliveries (StateChanged says whether it differs from Poll.State,
	// DecisionsChanged whether more than its delays do).
	State                          State
	StateChanged, DecisionsChanged bool
	// Errors are expressions that failed at run time; they count as false
	// (a condition keeps its state). Log them.
	Errors []error
	// Transitions are the conditions whose state this poll changed, for
	// the record (why a condition did or did not fire).
	Transitions []Transition
	// ETA is the project's catch-up ETA as the expressions saw it
	// (project.Incr.ETA), for the status card: the zero ETA when not known.
	ETA oms.ETA
}

// Evaluate runs one poll of one project through the conditions, the
// inhibitions, the silences and the routes: every decision about a
// project's events is made here, a removal's and a failed poll's too.
func (e *Engine) Evaluate(p Poll) (Outcome, error) {
	var env *Env
	if last := p.last(); last != nil {
		cur := last.Project()
		var prev *oms.Project
		if p.Cur != nil && p.Prev != nil {
			pv := p.Prev.Project()
			prev = &pv
		}
		env = NewEnv(&cur, prev, p.Now)
	}
	st := p.State.Clone()
	if p.Cur != nil && env != nil {
		st.Delays = nextDelays(st.Delays, env.Project, p.Now)
		env.Project.Incr.ETA = oms.LaggingETA(st.Delays)
	}
	var out Outcome
	var condEvents []condEvent
	if p.Cur != nil {
		var errs []error
		condEvents, errs = e.evalConditions(&p, env, &st, &out.Transitions)
		out.Errors = append(out.Errors, errs...)
	}
	if p.Removed && env != nil {
		resolved, errs := e.resolveAll(&p, env, &st, &out.Transitions)
		condEvents = append(condEvents, resolved...)
		out.Errors = append(out.Errors, errs...)
	}
	out.Events = append(slices.Clip(p.Events), make([]event.Event, 0, len(condEvents))...)
	inherited := make([]string, len(p.Events), len(p.Events)+len(condEvents))
	for _, ce := range condEvents {
		out.Events = append(out.Events, ce.ev)
		inherited = append(inherited, ce.inheritMute)
	}
	inh, errs := e.activeInhibits(env, &st)
	out.Errors = append(out.Errors, errs...)
	for i := range out.Events {
		ev := &out.Events[i]
		d, err := e.decide(ev, env, decideOpts{state: &st, silences: p.Silences, inhibits: inh,
			inherited: inherited[i], now: p.Now})
		if err != nil {
			out.Errors = append(out.Errors, err)
		}
		e.noteMuting(ev, d, &st)
		out.Decisions = append(out.Decisions, d)
		out.Deliveries = append(out.Deliveries, d.Deliveries...)
	}
	switch {
	case p.Removed:
		st = State{}
	case p.Cur != nil:
		e.unmute(&p, env, &st, &out)
	}
	out.State = st
	out.StateChanged = !st.Equal(p.State)
	out.DecisionsChanged = !st.SameDecisions(p.State)
	if env != nil {
		out.ETA = env.Project.Incr.ETA
	}
	return out, nil
}

// nextDelays notes the project's sync delay at this poll (at now, the
// poll's time, as incidents do: a delay OMS did not sample again reads as
// stalled). Only a lagging project's delays are kept, from half of
// oms.MinETADelay: a project in sync drops them, so that the states of a
// fleet in sync are not written at every poll.
func nextDelays(ds []oms.DelaySample, pr *oms.Project, now time.Time) []oms.DelaySample {
	if !pr.SyncDelayKnown || pr.SyncDelay < oms.MinETADelay/2 {
		return nil
	}
	return oms.AddDelaySample(ds, oms.DelaySample{At: now, Delay: pr.SyncDelay})
}

// resolveAll ends every firing condition of a project that is gone
// (removed, released) with its oms.condition.resolved, reason
// not_applicable, on the project's last snapshot.
func (e *Engine) resolveAll(p *Poll, env *Env, st *State, trs *[]Transition) ([]condEvent, []error) {
	q := *p
	q.Cur = p.last()
	var out []condEvent
	var errs []error
	for _, c := range e.conditions {
		cs, ok := st.Conditions[c.name]
		if !ok || !cs.Firing() {
			continue
		}
		ce, err := e.conditionEvent(&q, env, c, &cs, lapse)
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, ce)
		if t, ok := c.transition(env, &cs, nil, false, lapse, ce.ev.ID); ok {
			*trs = append(*trs, t)
		}
	}
	return out, errs
}

// unmute tells about conditions still firing whose firing event was muted
// by a silence or an inhibition that has since ended, as Alertmanager
// notifies an alert once its silence expires: a reminder, sent now.
func (e *Engine) unmute(p *Poll, env *Env, st *State, out *Outcome) {
	for _, c := range e.conditions {
		cs, ok := st.Conditions[c.name]
		if !ok || !cs.Firing() || cs.Muted == "" || cs.Notified.Equal(p.Now) {
			continue
		}
		next := cs
		next.Notified, next.Repeats = p.Now, cs.Repeats+1
		ce, err := e.conditionEvent(p, env, c, &next, remind)
		if err != nil {
			out.Errors = append(out.Errors, err)
		}
		inh, _ := e.activeInhibits(env, st)
		d, err := e.decide(&ce.ev, env, decideOpts{state: st, silences: p.Silences, inhibits: inh, now: p.Now})
		if err != nil {
			out.Errors = append(out.Errors, err)
		}
		if d.Muted != "" {
			continue // still muted: nothing to tell yet
		}
		next.Muted = ""
		st.Conditions[c.name] = next
		out.Events = append(out.Events, ce.ev)
		out.Decisions = append(out.Decisions, d)
		out.Deliveries = append(out.Deliveries, d.Deliveries...)
	}
}

// noteMuting records on a firing condition whether its event was muted, so
// that its resolution follows suit.
func (e *Engine) noteMuting(ev *event.Event, d Decision, st *State) {
	if ev.Type != event.TypeConditionFiring {
		return
	}
	rule := fieldString(ev.Data.Fields, "rule")
	if cs, ok := st.Conditions[rule]; ok && cs.Notified.Equal(ev.Time) {
		cs.Muted = d.Muted
		st.Conditions[rule] = cs
	}
}

// Route decides one event on its own, as `omswatch rules test` does: no
// snapshot (when expressions see the event's project fields only), no
// state (once_per does not suppress), no silences or inhibitions.
func (e *Engine) Route(ev event.Event) (Decision, error) {
	return e.decide(&ev, nil, decideOpts{now: ev.Time})
}

// Routes returns the configured routes, in order; Decision.Routes index it.
func (e *Engine) Routes() []Route { return slices.Clone(e.cfg.Routes) }

// Config returns the configuration the engine was built from.
func (e *Engine) Config() Config { return e.cfg }
