package rules

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/omswatch/omswatch/event"
)

// Decision is what became of one event.
type Decision struct {
	// Routes are the routes that took the event, in order.
	Routes []RouteHit
	// Default is true when no route took it: it goes to DefaultTo.
	Default bool
	// Muted says why nothing is sent: "silenced by <id>", "inhibited by
	// <rule>", or that the firing it resolves was muted. Empty otherwise.
	Muted string
	// Mute is the same reason in parts, for the record: the silence, or
	// the inhibition and what holds it. Nil when the event is not muted.
	Mute *Mute
	// Passed are the routes whose matchers took the event but that did
	// not: their when was false, or an earlier route took it first.
	Passed []RouteMiss
	// Deliveries are what to send: one per target, however many routes
	// name it (the first route's severity wins).
	Deliveries []Delivery
}

// Route actions.
const (
	ActionSend    = "send"     // the route sends to its targets
	ActionDrop    = "drop"     // the route discards the event
	ActionOncePer = "once_per" // the route has sent this once_per key before
	// ActionSendKeyless: the route sends, its once_per key having failed.
	ActionSendKeyless = "send (once_per failed)"
)

// RouteHit is one route that took an event.
type RouteHit struct {
	Index   int    // into Engine.Routes
	Name    string // "" for an unnamed route
	Action  string // ActionSend, ActionDrop or ActionOncePer
	Key     string // the once_per key, if the route has once_per
	Targets []string
}

// Mute is why an event is muted: by a silence, by an inhibition, or, for
// a resolution, because its firing was muted.
type Mute struct {
	// Silence is the silence in force that matched the event.
	Silence *Silence
	// Inhibit names the inhibition; SourceConditions are its source
	// conditions firing for the project and SourceEvents their firing
	// events' ids (none when its source_when alone holds it).
	Inhibit          string
	SourceConditions []string
	SourceEvents     []string
	// Inherited is why the firing this resolution ends was muted.
	Inherited string
}

// RouteMiss is a route whose matchers took an event that it did not take.
type RouteMiss struct {
	Index int
	Name  string
	// Why is MissWhen, or MissTaken with TakenBy the route (index) that
	// took the event first without continue, or dropped it.
	Why     string
	TakenBy int
}

// Why a route that matched did not take the event.
const (
	MissWhen  = "when"  // its when expression was false (or failed)
	MissTaken = "taken" // an earlier route took the event without continue
)

// Delivery is one event for one target.
type Delivery struct {
	// Event is the event as the target gets it: a route's severity
	// override applied.
	Event  event.Event
	Target string
	// Route is the name of the route that sends it ("" when unnamed or
	// for default_to), RouteIndex its index (-1 for default_to).
	Route      string
	RouteIndex int
}

// maxOncePerKeys bounds the once_per keys kept per project; the oldest go
// first.
const maxOncePerKeys = 1000

type decideOpts struct {
	state     *State // nil: once_per neither suppresses nor records
	silences  *Silences
	inhibits  []*inhibit // active for the event's project
	inherited string     // muting a resolved event inherits from its firing
	now       time.Time
}

// decide routes one event and applies once_per and muting.
func (e *Engine) decide(ev *event.Event, env *Env, o decideOpts) (Decision, error) {
	var d Decision
	var buf [8]int
	hits, firstErr := e.router.route(ev, env, buf[:0], &d.Passed)
	d.Muted, d.Mute = e.muting(ev, o)
	for _, i := range hits {
		rt := e.router.routes[i]
		hit := RouteHit{Index: i, Name: rt.Name, Action: ActionSend, Targets: rt.To}
		if rt.Drop {
			hit.Action, hit.Targets = ActionDrop, nil
		} else if rt.oncePer != nil {
			key, err := rt.oncePer.run(eventEnv(ev, env))
			if err != nil {
				// Fail open: an event whose key cannot be computed is sent,
				// and no key is remembered for it.
				if firstErr == nil {
					firstErr = err
				}
				hit.Action = ActionSendKeyless
			}
			hit.Key, _ = key.(string)
			if err == nil && o.state != nil && seenOncePer(o.state, rt.Name, hit.Key) {
				hit.Action, hit.Targets = ActionOncePer, nil
			}
		}
		d.Routes = append(d.Routes, hit)
	}
	if len(hits) == 0 {
		d.Default = true
	}
	if d.Muted != "" {
		return d, firstErr
	}
	d.Deliveries = e.deliveries(ev, d)
	if o.state != nil {
		for _, h := range d.Routes {
			if h.Action == ActionSend && e.router.routes[h.Index].oncePer != nil {
				recordOncePer(o.state, h.Name, h.Key, o.now)
			}
		}
	}
	return d, firstErr
}

// deliveries lists one delivery per target of the decision.
func (e *Engine) deliveries(ev *event.Event, d Decision) []Delivery {
	var out []Delivery
	seen := map[string]bool{}
	add := func(target, route string, idx int, sev event.Severity) {
		if seen[target] {
			return
		}
		seen[target] = true
		de := Delivery{Event: *ev, Target: target, Route: route, RouteIndex: idx}
		if sev != "" {
			de.Event.Severity = sev
		}
		out = append(out, de)
	}
	if d.Default {
		for _, t := range e.cfg.DefaultTo {
			add(t, "", -1, "")
		}
	}
	for _, h := range d.Routes {
		for _, t := range h.Targets {
			add(t, h.Name, h.Index, e.router.routes[h.Index].severity)
		}
	}
	return out
}

// muting says why an event is not sent, in words and in parts, or "".
func (e *Engine) muting(ev *event.Event, o decideOpts) (string, *Mute) {
	if o.inherited != "" {
		return "its firing was muted (" + o.inherited + ")", &Mute{Inherited: o.inherited}
	}
	if s := o.silences.matchSilence(ev, o.now); s != nil {
		return "silenced by " + s.ID, &Mute{Silence: s}
	}
	if len(o.inhibits) == 0 {
		return "", nil
	}
	var f facts
	e.cat.factsOf(ev, &f)
	for _, in := range o.inhibits {
		if in.target.matches(&f) {
			return "inhibited by " + in.name, in.mute(o.state)
		}
	}
	return "", nil
}

func oncePerKey(route, key string) string { return route + "\x00" + key }

func seenOncePer(st *State, route, key string) bool {
	_, ok := st.OncePer[oncePerKey(route, key)]
	return ok
}

// recordOncePer remembers a sent key, forgetting the oldest beyond the bound.
func recordOncePer(st *State, route, key string, now time.Time) {
	if st.OncePer == nil {
		st.OncePer = map[string]time.Time{}
	}
	st.OncePer[oncePerKey(route, key)] = now
	if len(st.OncePer) <= maxOncePerKeys {
		return
	}
	keys := slices.SortedFunc(maps.Keys(st.OncePer), func(a, b string) int {
		return cmp.Or(st.OncePer[a].Compare(st.OncePer[b]), cmp.Compare(a, b))
	})
	for _, k := range keys[:len(keys)-maxOncePerKeys] {
		delete(st.OncePer, k)
	}
}
