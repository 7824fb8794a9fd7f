package differ

import (
	"cmp"
	"maps"
	"slices"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// stepPair is one step key with the step object on each side (nil where
// the step does not exist).
type stepPair struct {
	key      string
	old, new map[string]any
}

// stepPairs lists every step of either snapshot, in the new snapshot's
// Order (a vanished step by its old Order), then by key.
func stepPairs(prev, cur map[string]any) []stepPair {
	keys := make(map[string]bool, len(cur))
	for k := range prev {
		keys[k] = true
	}
	for k := range cur {
		keys[k] = true
	}
	pairs := make([]stepPair, 0, len(keys))
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		pairs = append(pairs, stepPair{key: k, old: obj(prev[k]), new: obj(cur[k])})
	}
	order := func(p stepPair) int64 {
		if p.new != nil {
			return number(p.new["Order"])
		}
		return number(p.old["Order"])
	}
	slices.SortStableFunc(pairs, func(a, b stepPair) int { return cmp.Compare(order(a), order(b)) })
	return pairs
}

// steps emits, for each step in order, its status, progress and error events.
func (b *builder) steps() {
	for _, sp := range stepPairs(obj(member(b.prev, "Steps")), obj(member(b.cur, "Steps"))) {
		b.stepStatus(sp)
		b.stepProgress(sp)
		b.stepErrors(sp)
	}
}

// phase maps the step's name (new, else old, else its key) onto a phase.
// Events call a step by its canonical key (StepKey of its Name), the same
// for PRE-CHECK and PRE_CHECK.
func (sp stepPair) phase() oms.Phase {
	name := text(sp.new["Name"])
	if name == "" {
		name = text(sp.old["Name"])
	}
	if name == "" {
		name = sp.key
	}
	return oms.PhaseOf(name)
}

func (b *builder) stepStatus(sp stepPair) {
	var from, to any
	scope := []string{"Steps", sp.key}
	if sp.old != nil {
		from = scalar(sp.old["Status"])
	}
	if sp.new != nil {
		to = scalar(sp.new["Status"])
	}
	scopes := [][]string{scope}
	if sp.old != nil && sp.new != nil {
		if text(from) == text(to) {
			return
		}
		// The event carries the step's progress, so it also holds the
		// progress op: no progress_changed beside it.
		scopes = [][]string{append(slices.Clip(scope), "Status"), append(slices.Clip(scope), "Progress")}
	}
	var sev event.Severity // the catalog's default
	if text(to) == "FAILED" {
		sev = event.Critical
	}
	b.add(&pending{typ: event.TypeStepStatusChanged, key: sp.key, sev: sev,
		fields: map[string]any{"step": sp.key, "phase": string(sp.phase()), "from": from, "to": to,
			"progress": scalar(sp.new["Progress"])},
		scopes: scopes})
}

// stepProgress emits progress_changed for a step whose Progress changed
// while its Status did not (EVENTS.md v2): a status change carries the
// progress itself, and printing both said one thing twice.
func (b *builder) stepProgress(sp stepPair) {
	if sp.old == nil || sp.new == nil {
		return // a step appearing or vanishing is a status change
	}
	from, to := scalar(sp.old["Progress"]), scalar(sp.new["Progress"])
	if text(from) == text(to) || text(sp.old["Status"]) != text(sp.new["Status"]) {
		return
	}
	b.add(&pending{typ: event.TypeStepProgressChanged, key: sp.key,
		fields: map[string]any{"step": sp.key, "phase": string(sp.phase()), "from": from, "to": to},
		scopes: [][]string{{"Steps", sp.key, "Progress"}}})
}
