package rules

import (
	"time"
)

// States a condition is in for a project, as Transition names them.
const (
	CondInactive = "inactive"
	CondPending  = "pending"
	CondFiring   = "firing"
)

// Transition is one evaluation that changed a condition's state for a
// project: it started to hold (pending, or firing at once without for),
// reached for (firing), stopped holding before for (inactive again), or
// resolved. Reminders change nothing and are not transitions.
type Transition struct {
	Rule     string
	From, To string // CondInactive, CondPending or CondFiring
	// Since is when the expression started to hold (the pending run that
	// ended, for a step back to inactive).
	Since time.Time
	// For and KeepFiringFor are the condition's.
	For, KeepFiringFor time.Duration
	// Value is the condition's value expression at this evaluation (nil
	// without one, or when it failed).
	Value any
	// Reason says why, in a few words: ReasonRecovered or
	// ReasonNotApplicable for a resolution, for a pending run that ended
	// "stopped holding" or "no longer applies" (its while).
	Reason string
	// Event is the id of the event it made (firing, resolved), if any.
	Event string
}

// Reasons a pending condition goes back to inactive.
const (
	ReasonStoppedHolding  = "stopped holding"
	ReasonNoLongerApplies = "no longer applies"
)

func condStateName(cs *CondState) string {
	switch {
	case cs == nil:
		return CondInactive
	case cs.Firing():
		return CondFiring
	}
	return CondPending
}

// transition describes the step of one condition from cur to next, or
// returns false when its state did not change.
func (c *condition) transition(env *Env, cur, next *CondState, applies bool, tr transition, ev string) (Transition, bool) {
	from, to := condStateName(cur), condStateName(next)
	if from == to && tr != resolve && tr != lapse {
		return Transition{}, false
	}
	t := Transition{Rule: c.name, From: from, To: to, For: c.forDur, KeepFiringFor: c.keep, Event: ev}
	switch {
	case next != nil:
		t.Since = next.Since
	case cur != nil:
		t.Since = cur.Since
	}
	switch {
	case tr == resolve:
		t.Reason = ReasonRecovered
	case tr == lapse:
		t.Reason = ReasonNotApplicable
	case to == CondInactive && !applies:
		t.Reason = ReasonNoLongerApplies
	case to == CondInactive:
		t.Reason = ReasonStoppedHolding
	}
	if env != nil && applies {
		t.Value, _ = c.valueOf(env)
	}
	return t, true
}
