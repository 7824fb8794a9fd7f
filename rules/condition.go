package rules

import (
	"fmt"
	"maps"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// condition is a compiled level rule.
type condition struct {
	name         string
	while        *program // nil: the condition always applies
	expr, value  *program
	forDur, keep time.Duration
	severity     event.Severity
	labels       map[string]string
	repeatEvery  time.Duration
}

func compileCondition(c Condition, repeat time.Duration, p *problems) *condition {
	out := &condition{name: c.Name, forDur: c.For, keep: c.KeepFiringFor, labels: c.Labels, repeatEvery: repeat}
	if c.Name == "" {
		p.add(c.Where, c.Path+".name", "is required (it names the condition in its events)")
	}
	sev := c.Severity
	if sev == "" {
		sev = string(event.Warning)
	}
	s, err := event.ParseSeverity(sev)
	if err != nil {
		p.add(c.Where, c.Path+".severity", "%v", err)
	}
	out.severity = s
	if !c.While.IsZero() {
		out.while = compile(c.While, wantBool, p)
	}
	if c.Expr.IsZero() {
		p.add(c.Where, c.Path+".expr", "is required")
	} else {
		out.expr = compile(c.Expr, wantBool, p)
	}
	if !c.Value.IsZero() {
		out.value = compile(c.Value, wantAny, p)
	}
	return out
}

// transition is what one evaluation of a condition produced.
type transition int

const (
	stay    transition = iota
	fire               // oms.condition.firing
	remind             // oms.condition.firing again, a reminder
	resolve            // oms.condition.resolved, reason recovered
	lapse              // oms.condition.resolved, reason not_applicable
)

// Reasons an oms.condition.resolved gives in data.reason.
const (
	// ReasonRecovered: the condition applies and its expression stopped
	// holding (after keep_firing_for): the value is back.
	ReasonRecovered = "recovered"
	// ReasonNotApplicable: the project left the state the condition
	// measures (its while stopped holding, or the project is gone), so
	// nothing recovered; data.project.status says where it went.
	ReasonNotApplicable = "not_applicable"
)

// step advances one condition's state by one evaluation: Prometheus's
// inactive -> pending -> firing, with keep_firing_for and reminders every
// repeat_interval. applies is the condition's while: when it does not
// hold, a pending condition ends without an event and a firing one lapses
// at once (keep_firing_for bridges dips of the value, not a project that
// stopped running). It returns the next state (nil when inactive).
func (c *condition) step(st *CondState, applies, holds bool, now time.Time) (*CondState, transition) {
	switch {
	case !applies && st != nil && st.Firing():
		return nil, lapse
	case !applies:
		return nil, stay
	case st == nil && !holds:
		return nil, stay
	case st == nil:
		st = &CondState{Since: now, LastHeld: now}
		if c.forDur <= 0 {
			return c.fire(st, now), fire
		}
		return st, stay
	case holds:
		next := *st
		next.LastHeld = now
		if !next.Firing() {
			if now.Sub(next.Since) >= c.forDur {
				return c.fire(&next, now), fire
			}
			return &next, stay
		}
		if c.repeatEvery > 0 && now.Sub(next.Notified) >= c.repeatEvery {
			next.Notified = now
			next.Repeats++
			return &next, remind
		}
		return &next, stay
	case !st.Firing():
		return nil, stay // pending and no longer holding: back to inactive
	case c.keep > 0 && now.Sub(st.LastHeld) < c.keep:
		next := *st
		return &next, stay
	}
	return nil, resolve
}

func (c *condition) fire(st *CondState, now time.Time) *CondState {
	st.FiredAt, st.Notified = now, now
	return st
}

// condEvent is a condition event with the muting its firing had, which a
// resolution inherits.
type condEvent struct {
	ev          event.Event
	rule        string
	kind        transition
	inheritMute string
}

// evalConditions evaluates every condition on one snapshot and replaces
// st.Conditions with the result. A condition whose expression fails keeps
// its state: an error neither fires nor resolves it. State of conditions no
// longer configured is dropped without an event.
func (e *Engine) evalConditions(p *Poll, env *Env, st *State, trs *[]Transition) ([]condEvent, []error) {
	var out []condEvent
	var errs []error
	next := map[string]CondState{}
	for _, c := range e.conditions {
		var cur *CondState
		if s, ok := st.Conditions[c.name]; ok {
			cur = &s
		}
		applies, holds, err := c.eval(env)
		if err != nil {
			errs = append(errs, err)
			if cur != nil {
				next[c.name] = *cur
			}
			continue
		}
		ns, tr := c.step(cur, applies, holds, p.Now)
		var evID string
		if tr != stay {
			ref := ns
			if tr == resolve || tr == lapse {
				ref = cur
			}
			ce, err := e.conditionEvent(p, env, c, ref, tr)
			if err != nil {
				errs = append(errs, err)
			}
			out = append(out, ce)
			evID = ce.ev.ID
			if tr == fire {
				ns.FiringEvent = evID
			}
		}
		if ns != nil {
			next[c.name] = *ns
		}
		if t, ok := c.transition(env, cur, ns, applies, tr, evID); ok {
			*trs = append(*trs, t)
		}
	}
	if len(next) == 0 {
		next = nil
	}
	st.Conditions = next
	return out, errs
}

// eval runs the condition's while, then, when it applies, its expression.
func (c *condition) eval(env *Env) (applies, holds bool, err error) {
	applies = true
	if c.while != nil {
		if applies, err = c.while.runBool(env); err != nil || !applies {
			return false, false, err
		}
	}
	holds, err = c.expr.runBool(env)
	return applies, holds, err
}

// conditionEvent builds oms.condition.firing (first or reminder) or
// oms.condition.resolved (resolve or lapse, which say why in data.reason;
// data.lasted is how long since it started to hold). Its id hashes the rule, when it started to hold
// and the snapshot, so evaluating the same snapshot again after a restart
// gives the same id and JetStream drops the repeat.
func (e *Engine) conditionEvent(p *Poll, env *Env, c *condition, st *CondState, tr transition) (condEvent, error) {
	typ := event.TypeConditionFiring
	key := c.name + "|" + st.Since.UTC().Format(time.RFC3339Nano)
	fields := map[string]any{"rule": c.name, "since": st.Since.UTC().Format(time.RFC3339)}
	ce := condEvent{rule: c.name, kind: tr}
	sev := c.severity
	switch tr {
	case remind:
		key += fmt.Sprintf("|repeat %d", st.Repeats)
		fields["repeat"] = st.Repeats
	case resolve, lapse:
		typ, sev = event.TypeConditionResolved, event.DefaultSeverity(event.TypeConditionResolved)
		fields["reason"] = ReasonRecovered
		if tr == lapse {
			fields["reason"] = ReasonNotApplicable
		}
		fields["lasted"] = p.Now.Sub(st.Since).Round(time.Second).String() // "29.179193621s" helps nobody
		fields["fired_at"] = st.FiredAt.UTC().Format(time.RFC3339)
		ce.inheritMute = st.Muted
	}
	if len(c.labels) > 0 {
		fields["labels"] = maps.Clone(c.labels)
	}
	var err error
	fields["value"], err = c.valueOf(env)
	proj := env.Project
	ce.ev = event.Event{
		ID:     event.NewID(p.Source, proj.ID, typ, key, p.Cur.Digest()),
		Source: p.Source, Type: typ, Subject: proj.ID, Time: p.Now, Severity: sev,
		Data: event.Data{Project: eventProject(proj), Fields: fields},
	}
	return ce, err
}

// valueOf evaluates the condition's value expression for its events:
// durations as Go writes them (1m30s), times in RFC 3339.
func (c *condition) valueOf(env *Env) (any, error) {
	if c.value == nil {
		return nil, nil
	}
	v, err := c.value.run(env)
	if err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case time.Duration:
		return t.String(), nil
	case time.Time:
		if t.IsZero() {
			return nil, nil
		}
		return t.UTC().Format(time.RFC3339), nil
	case fmt.Stringer:
		return t.String(), nil
	}
	return v, nil
}

// eventProject is the project part every event carries.
func eventProject(p *oms.Project) event.Project {
	return event.Project{ID: p.ID, Name: p.Name, Type: p.Type, Status: p.Status,
		Importance: p.Importance, Labels: p.LabelNames(), Owner: p.Owner}
}
