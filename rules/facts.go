package rules

import (
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// The closed vocabularies matchers index: event types, importances,
// severities and phases each map to a small integer.

// catalog is the event types in catalog order; an event of a type outside
// it (a newer producer) gets index len(catalog).
type catalog struct {
	types  []string
	index  map[string]int
	phases []oms.Phase
	phase  map[string]int
	// facts are the data fields each type's step, phase and rule are read
	// from (event.Describe), by type index; the last is for types outside
	// the catalog, which are read by the usual names.
	facts []event.Facts
}

func newCatalog() *catalog {
	c := &catalog{types: event.Types(), index: map[string]int{}, phases: oms.Phases(), phase: map[string]int{}}
	for i, t := range c.types {
		c.index[t] = i
		s, _ := event.Describe(t)
		c.facts = append(c.facts, s.Facts)
	}
	c.facts = append(c.facts, event.Facts{Step: "step", Phase: "phase", Rule: "rule"})
	for i, p := range c.phases {
		c.phase[string(p)] = i
	}
	return c
}

func (c *catalog) typeIndex(t string) int {
	if i, ok := c.index[t]; ok {
		return i
	}
	return len(c.types)
}

// numTypes counts the catalog's types plus the "unknown type" slot.
func (c *catalog) numTypes() int { return len(c.types) + 1 }

// phaseIndex maps a phase name to its index; no phase is len(phases).
func (c *catalog) phaseIndex(p string) int {
	if i, ok := c.phase[p]; ok {
		return i
	}
	return len(c.phases)
}

func (c *catalog) numPhases() int { return len(c.phases) + 1 }

// importances are OMS's project importance values; any other value (or
// none) is index len(importances).
var importanceNames = [...]string{"HIGH", "MEDIUM", "LOW", "IGNORE"}

const numImportance = len(importanceNames) + 1

func importanceIndex(s string) int {
	for i, n := range importanceNames {
		if n == s {
			return i
		}
	}
	return len(importanceNames)
}

// numSeverity covers ranks 0 (none) to 3 (critical).
const numSeverity = 4

// facts are what matchers read of an event, gathered once per event without
// allocating.
type facts struct {
	typ, importance, severity, phase  int
	project, name, source, step, rule string
	labels                            []string
}

func (c *catalog) factsOf(e *event.Event, f *facts) {
	p := &e.Data.Project
	typ := c.typeIndex(e.Type)
	names := &c.facts[typ]
	*f = facts{
		typ: typ, importance: importanceIndex(p.Importance),
		severity: e.Severity.Rank(), project: e.Subject, name: p.Name,
		source: e.Source, labels: p.Labels,
		step: fieldString(e.Data.Fields, names.Step), rule: fieldString(e.Data.Fields, names.Rule),
	}
	if f.project == "" {
		f.project = p.ID
	}
	phase := fieldString(e.Data.Fields, names.Phase)
	if phase == "" && f.step != "" {
		// error_raised and error_cleared name a step but not its phase.
		phase = string(oms.PhaseOf(f.step))
	}
	f.phase = c.phaseIndex(phase)
}

// fieldString reads a string field of the event's data, "" if absent or
// if the type has no such fact (key "").
func fieldString(fields map[string]any, key string) string {
	if key == "" {
		return ""
	}
	s, _ := fields[key].(string)
	return s
}

// typeTraits say which attributes events of a type can have, so a route
// whose matchers no event can satisfy is found when it is loaded.
type typeTraits struct {
	step, rule bool
	severities uint8 // bit r set when the type can have severity rank r
}

func sevBits(ss ...event.Severity) uint8 {
	var b uint8
	for _, s := range ss {
		b |= 1 << s.Rank()
	}
	return b
}

// traitsOf follows the event catalog: the severities a type can have, a
// step where its facts name one, a rule on condition events. Types of newer
// producers can have anything.
func traitsOf(typ string) typeTraits {
	s, ok := event.Describe(typ)
	if !ok {
		return typeTraits{step: true, rule: true, severities: sevBits(event.Info, event.Warning, event.Critical)}
	}
	return typeTraits{step: s.Facts.Step != "", rule: s.Facts.Rule != "", severities: sevBits(s.Severities...)}
}
