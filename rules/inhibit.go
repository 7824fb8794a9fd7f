package rules

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
)

// inhibit is a compiled Inhibit: while its source holds for a project (a
// listed condition fires for it, and/or an expression over it is true), the
// project's events its target matches are muted. Like Alertmanager's
// inhibition with equal: [project]: a FAILED project mutes its delay
// conditions, whose cause is the failure.
type inhibit struct {
	name    string
	sources patterns
	when    *program
	target  *matcher
}

func compileInhibit(c *catalog, in Inhibit, conditions []string, p *problems) *inhibit {
	out := &inhibit{name: in.Name}
	if in.Name == "" {
		p.add(in.Where, in.Path+".name", "is required (it says why events were muted)")
	}
	if len(in.SourceConditions) == 0 && in.SourceWhen.IsZero() {
		p.add(in.Where, in.Path, "needs source_conditions (conditions whose firing inhibits) or source_when (an expression over project), or both")
	}
	for i, s := range in.SourceConditions {
		pat, err := compilePattern(s)
		if err != nil {
			p.add(in.Where, fmt.Sprintf("%s.source_conditions[%d]", in.Path, i), "%v", err)
			continue
		}
		if !anyMatches(pat, conditions) {
			p.add(in.Where, fmt.Sprintf("%s.source_conditions[%d]", in.Path, i), "%q matches no condition", s)
		}
		out.sources = append(out.sources, pat)
	}
	if !in.SourceWhen.IsZero() {
		out.when = compile(in.SourceWhen, wantBool, p)
	}
	tw := cmp.Or(in.TargetWhere, in.Where)
	out.target = compileMatch(in.Target, c, tw, in.Path+".target", p)
	if why := out.target.neverMatches(c, in.Target); why != "" {
		p.add(tw, in.Path+".target", "%s", why)
	}
	return out
}

func anyMatches(p pattern, names []string) bool {
	for _, n := range names {
		if p.match(n) {
			return true
		}
	}
	return false
}

// activeInhibits returns the inhibitions whose source holds for the
// project, given its conditions after this evaluation.
func (e *Engine) activeInhibits(env *Env, st *State) ([]*inhibit, []error) {
	var out []*inhibit
	var errs []error
	firing := make([]string, 0, len(st.Conditions))
	for name, cs := range st.Conditions {
		if cs.Firing() {
			firing = append(firing, name)
		}
	}
	sort.Strings(firing)
	for _, in := range e.inhibits {
		if in.sources != nil && !in.sources.matchAny(firing) {
			continue
		}
		if in.when != nil {
			if env == nil {
				continue // no snapshot of the project to hold it against
			}
			ok, err := in.when.runBool(env)
			if err != nil {
				errs = append(errs, err)
			}
			if !ok {
				continue
			}
		}
		out = append(out, in)
	}
	return out, errs
}

// mute says what holds the inhibition for the record: its source
// conditions firing in st and their firing events.
func (in *inhibit) mute(st *State) *Mute {
	m := &Mute{Inhibit: in.name}
	if st == nil || in.sources == nil {
		return m
	}
	for _, name := range slices.Sorted(maps.Keys(st.Conditions)) {
		cs := st.Conditions[name]
		if !cs.Firing() || !in.sources.match(name) {
			continue
		}
		m.SourceConditions = append(m.SourceConditions, name)
		if cs.FiringEvent != "" {
			m.SourceEvents = append(m.SourceEvents, cs.FiringEvent)
		}
	}
	return m
}
