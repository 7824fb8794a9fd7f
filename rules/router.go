package rules

import (
	"cmp"
	"fmt"

	"github.com/omswatch/omswatch/event"
)

// route is a compiled Route.
type route struct {
	Route
	m        *matcher
	verify   [numDims]bool // attributes the index cannot decide alone
	when     *program
	oncePer  *program
	severity event.Severity
}

// Router picks the routes an event takes, in order: the first that
// matches takes it, and later ones see it too only while the routes that
// took it say continue. It sends nothing and is safe for concurrent use.
type Router struct {
	cat    *catalog
	routes []*route
	idx    index
}

func newRouter(c *catalog, cfg []Route, p *problems) *Router {
	r := &Router{cat: c}
	ms := make([]*matcher, 0, len(cfg))
	for _, rc := range cfg {
		rt := compileRoute(c, rc, p)
		r.routes = append(r.routes, rt)
		ms = append(ms, rt.m)
	}
	var verify [][numDims]bool
	r.idx, verify = newIndex(c, ms)
	for i, rt := range r.routes {
		rt.verify = verify[i]
	}
	return r
}

func compileRoute(c *catalog, rc Route, p *problems) *route {
	rt := &route{Route: rc}
	mw := cmp.Or(rc.MatchWhere, rc.Where)
	rt.m = compileMatch(rc.Match, c, mw, rc.Path+".match", p)
	if why := rt.m.neverMatches(c, rc.Match); why != "" {
		p.add(mw, rc.Path+".match", "%s", why)
	}
	switch {
	case rc.Drop && len(rc.To) > 0:
		p.add(rc.Where, rc.Path+".drop", "a dropping route sends nothing; remove to or drop")
	case !rc.Drop && len(rc.To) == 0:
		p.add(rc.Where, rc.Path, "needs to (a list of targets) or drop: true")
	}
	if rc.Severity != "" {
		s, err := event.ParseSeverity(rc.Severity)
		if err != nil {
			p.add(rc.Where, rc.Path+".severity", "%v", err)
		}
		rt.severity = s
	}
	if !rc.When.IsZero() {
		rt.when = compile(rc.When, wantBool, p)
		checkDataFields(rt.when, c, rt.m.types, p)
	}
	if !rc.OncePer.IsZero() {
		if rc.Name == "" {
			p.add(rc.Where, rc.Path+".once_per", "needs the route to have a name (once_per remembers keys per route)")
		}
		rt.oncePer = compile(rc.OncePer, wantString, p)
		checkDataFields(rt.oncePer, c, rt.m.types, p)
	}
	return rt
}

// Route appends to out the indexes of the routes ev takes, in order, and
// returns it. env is the snapshot's environment for when expressions; nil
// builds one from the event alone (its project fields, no previous
// snapshot). With room in out and no when expression to run it does not
// allocate. A when expression that fails counts as false; the first such
// error is returned with the routes that did match.
func (r *Router) Route(ev *event.Event, env *Env, out []int) ([]int, error) {
	return r.route(ev, env, out, nil)
}

// route is Route, appending to misses (when not nil) the routes whose
// matchers took ev but that did not: their when was false, or a route
// before them took ev without continue. Those after it are found by
// their matchers alone: their when is not run.
func (r *Router) route(ev *event.Event, env *Env, out []int, misses *[]RouteMiss) ([]int, error) {
	var f facts
	r.cat.factsOf(ev, &f)
	var stack [stackWords]uint64
	cand := stack[:0]
	if r.idx.words <= stackWords {
		cand = stack[:r.idx.words]
	} else {
		cand = make([]uint64, r.idx.words)
	}
	r.idx.candidates(&f, cand)
	var firstErr error
	var evEnv *Env
	taken := -1
	for i := next(cand, 0); i >= 0; i = next(cand, i+1) {
		rt := r.routes[i]
		if !rt.verifyOpen(&f) {
			continue
		}
		if taken >= 0 {
			*misses = append(*misses, RouteMiss{Index: i, Name: rt.Name, Why: MissTaken, TakenBy: taken})
			continue
		}
		if rt.when != nil {
			if evEnv == nil {
				evEnv = eventEnv(ev, env)
			}
			ok, err := rt.when.runBool(evEnv)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if !ok {
				if misses != nil {
					*misses = append(*misses, RouteMiss{Index: i, Name: rt.Name, Why: MissWhen})
				}
				continue
			}
		}
		out = append(out, i)
		if rt.Drop || !rt.Continue {
			if misses == nil {
				break
			}
			taken = i
		}
	}
	return out, firstErr
}

// verifyOpen checks the globs and regexes the index could not look up.
func (rt *route) verifyOpen(f *facts) bool {
	for d := range numDims {
		if rt.verify[d] && !rt.m.matchOpen(d, f) {
			return false
		}
	}
	return true
}

// eventEnv returns env seeing ev, building a snapshot-less environment
// from the event when there is none.
func eventEnv(ev *event.Event, env *Env) *Env {
	if env == nil {
		env = NewEnv(projectOf(ev), nil, ev.Time)
	}
	return env.WithEvent(ev)
}

// Len returns how many routes there are.
func (r *Router) Len() int { return len(r.routes) }

// describe names a route for messages: its name, else its path.
func (rt *route) describe() string {
	if rt.Name != "" {
		return rt.Name
	}
	return fmt.Sprintf("%s (unnamed)", rt.Path)
}
