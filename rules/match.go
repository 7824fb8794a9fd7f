package rules

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/omswatch/omswatch/event"
)

// dim names the open-ended attributes matchers compare with patterns.
type dim int

const (
	dimProject dim = iota
	dimName
	dimLabel
	dimStep
	dimSource
	dimRule
	numDims
)

var dimKeys = [numDims]string{"projects", "names", "labels", "steps", "sources", "rules"}

// matcher is a compiled Match. The closed vocabularies are bit masks; a
// zero mask is never stored (an absent criterion accepts every value).
type matcher struct {
	types      uint64 // bit i: catalog type i
	importance uint8
	severity   uint8 // bit r: severity rank r
	phases     uint32
	open       [numDims]patterns
}

// value returns the fact an open dimension compares, for one-valued ones.
func (f *facts) value(d dim) string {
	switch d {
	case dimProject:
		return f.project
	case dimName:
		return f.name
	case dimStep:
		return f.step
	case dimSource:
		return f.source
	case dimRule:
		return f.rule
	}
	return ""
}

// matchOpen checks one open dimension.
func (m *matcher) matchOpen(d dim, f *facts) bool {
	ps := m.open[d]
	if ps == nil {
		return true
	}
	if d == dimLabel {
		return ps.matchAny(f.labels)
	}
	return ps.match(f.value(d))
}

// matches is the whole check, for silences and inhibitions; routes use the
// index and only verify what it cannot decide.
func (m *matcher) matches(f *facts) bool {
	if m.types&(1<<f.typ) == 0 || m.importance&(1<<f.importance) == 0 ||
		m.severity&(1<<f.severity) == 0 || m.phases&(1<<f.phase) == 0 {
		return false
	}
	for d := range numDims {
		if !m.matchOpen(d, f) {
			return false
		}
	}
	return true
}

// compileMatch compiles a Match; problems are reported under path.
func compileMatch(m Match, c *catalog, where, path string, p *problems) *matcher {
	out := &matcher{types: allBits(c.numTypes()), importance: uint8(allBits(numImportance)),
		severity: uint8(allBits(numSeverity)), phases: uint32(allBits(c.numPhases()))}
	if len(m.Types) > 0 {
		out.types = 0
		for i, glob := range m.Types {
			matched, err := event.TypesMatching(glob)
			if err != nil || len(matched) == 0 {
				p.add(where, fmt.Sprintf("%s.types[%d]", path, i), "%q matches no event type", glob)
			}
			for _, t := range matched {
				out.types |= 1 << c.typeIndex(t)
			}
		}
	}
	if len(m.Importance) > 0 {
		out.importance = 0
		for i, s := range m.Importance {
			idx := importanceIndex(s)
			if idx == len(importanceNames) {
				p.add(where, fmt.Sprintf("%s.importance[%d]", path, i), "%q is not an importance; want HIGH, MEDIUM, LOW or IGNORE", s)
			}
			out.importance |= 1 << idx
		}
	}
	out.severity = compileSeverity(m, where, path, p)
	if len(m.Phases) > 0 {
		out.phases = 0
		for i, s := range m.Phases {
			idx := c.phaseIndex(s)
			if idx == len(c.phases) {
				p.add(where, fmt.Sprintf("%s.phases[%d]", path, i), "%q is not a phase", s)
			}
			out.phases |= 1 << idx
		}
	}
	lists := [numDims][]string{m.Projects, m.Names, m.Labels, m.Steps, m.Sources, m.Rules}
	for d, items := range lists {
		if len(items) == 0 {
			continue
		}
		ps, errs := compilePatterns(items)
		for _, err := range errs {
			p.add(where, path+"."+dimKeys[d], "%v", err)
		}
		out.open[d] = ps
	}
	return out
}

func compileSeverity(m Match, where, path string, p *problems) uint8 {
	mask := uint8(allBits(numSeverity))
	if m.SeverityAtLeast != "" {
		s, err := event.ParseSeverity(m.SeverityAtLeast)
		if err != nil {
			p.add(where, path+".severity_at_least", "%v", err)
		}
		mask = 0
		for r := s.Rank(); r < numSeverity; r++ {
			mask |= 1 << r
		}
	}
	if len(m.Severity) > 0 {
		var exact uint8
		for i, str := range m.Severity {
			s, err := event.ParseSeverity(str)
			if err != nil {
				p.add(where, fmt.Sprintf("%s.severity[%d]", path, i), "%v", err)
			}
			exact |= 1 << s.Rank()
		}
		mask &= exact
	}
	return mask
}

func allBits(n int) uint64 { return 1<<n - 1 }

// neverMatches explains why no event of the catalog can satisfy m, or
// returns "" when some can: a step or phase criterion on types without a
// step, a rule criterion on types that are not conditions, a severity no
// selected type can have.
func (m *matcher) neverMatches(c *catalog, m0 Match) string {
	var reasons []string
	possible := 0
	for i, t := range c.types {
		if m.types&(1<<i) == 0 {
			continue
		}
		tr := traitsOf(t)
		switch {
		case (m.open[dimStep] != nil || len(m0.Phases) > 0) && !tr.step:
			reasons = append(reasons, t+" has no step")
		case m.open[dimRule] != nil && !tr.rule:
			reasons = append(reasons, t+" has no rule")
		case m.severity&tr.severities == 0:
			reasons = append(reasons, t+" is never "+severityList(m.severity))
		default:
			possible++
		}
	}
	if possible > 0 || m.types == 0 {
		return ""
	}
	if m.severity == 0 {
		return "can never match: severity_at_least and severity exclude each other"
	}
	return "can never match a known event type: " + summarize(reasons)
}

func severityList(mask uint8) string {
	var out []string
	for _, s := range []event.Severity{event.Info, event.Warning, event.Critical} {
		if mask&(1<<s.Rank()) != 0 {
			out = append(out, string(s))
		}
	}
	return strings.Join(out, " or ")
}

// summarize shortens a long list of reasons to its first three.
func summarize(reasons []string) string {
	if len(reasons) <= 3 {
		return strings.Join(reasons, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(reasons[:3], ", "), len(reasons)-3)
}

// typeNames lists the catalog types a mask selects, for messages.
func (c *catalog) typeNames(mask uint64) []string {
	var out []string
	for mask != 0 {
		i := bits.TrailingZeros64(mask)
		mask &^= 1 << i
		if i < len(c.types) {
			out = append(out, c.types[i])
		}
	}
	return out
}
