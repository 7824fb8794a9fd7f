package config

import (
	"fmt"
	"path"
	"strings"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/suggest"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// Rules routes events to targets and defines conditions over snapshots.
// Routes are tried in order; the first that matches takes the event unless
// it says continue. Routes and conditions of included files come after the
// file's own, in include order.
type Rules struct {
	Routes         []Route              `yaml:"routes"`
	DefaultTo      []string             `yaml:"default_to"`
	Conditions     []Condition          `yaml:"conditions"`
	Inhibit        []Inhibit            `yaml:"inhibit"`
	GroupBy        []string             `yaml:"group_by"`
	GroupWait      Duration             `yaml:"group_wait"`
	RepeatInterval Duration             `yaml:"repeat_interval"`
	RateLimits     map[string]RateLimit `yaml:"rate_limits"`
	StateBucket    string               `yaml:"state_bucket"`
	SilenceBucket  string               `yaml:"silence_bucket"`
	Include        []FilePath           `yaml:"include"`
}

// Route sends the events it matches (and When accepts) to targets, or drops
// them.
type Route struct {
	Name     string      `yaml:"name"`
	Match    rules.Match `yaml:"match"`
	When     Expr        `yaml:"when"`
	Severity string      `yaml:"severity"`
	To       []string    `yaml:"to"`
	Continue bool        `yaml:"continue"`
	Drop     bool        `yaml:"drop"`
	OncePer  Expr        `yaml:"once_per"`
	// Template overrides the Slack message text of the route's
	// notifications: event type globs or "default" to Go templates.
	Template map[string]Template `yaml:"template"`

	// Pos is where the route starts, in whichever file it was written, and
	// MatchPos where its match is (or Pos without one).
	Pos      Position `yaml:"-"`
	MatchPos Position `yaml:"-"`

	path string // the route's index path, for located checks
}

// Condition is a level rule over a project's snapshots: when Expr has held
// for For, oms.condition.firing; when it stops holding (for KeepFiringFor
// more), oms.condition.resolved with reason recovered. While, if given, is
// when the condition applies at all: while it does not hold the condition
// is not measured, and a firing one resolves with reason not_applicable.
type Condition struct {
	Name          string            `yaml:"name"`
	While         Expr              `yaml:"while"`
	Expr          Expr              `yaml:"expr"`
	Value         Expr              `yaml:"value"`
	For           Duration          `yaml:"for"`
	KeepFiringFor Duration          `yaml:"keep_firing_for"`
	Severity      string            `yaml:"severity"`
	Labels        map[string]string `yaml:"labels"`

	// Pos is where the condition starts, in whichever file it was written.
	Pos Position `yaml:"-"`

	path string
}

// locate records where each route and condition was written. prefix is the
// path of their lists' parent: "rules." in the main file, the include's
// index prefix in an included one.
func (r *Rules) locate(d *decoder, prefix string) {
	for i := range r.Routes {
		rt := &r.Routes[i]
		rt.path = fmt.Sprintf("%sroutes[%d]", d.prefix+prefix, i)
		rt.Pos = d.idx.valuePos(rt.path)
		rt.MatchPos = d.idx.valuePos(rt.path + ".match")
	}
	for i := range r.Conditions {
		r.Conditions[i].path = fmt.Sprintf("%sconditions[%d]", d.prefix+prefix, i)
		r.Conditions[i].Pos = d.idx.valuePos(r.Conditions[i].path)
	}
	for i := range r.Inhibit {
		in := &r.Inhibit[i]
		in.path = fmt.Sprintf("%sinhibit[%d]", d.prefix+prefix, i)
		in.Pos = d.idx.valuePos(in.path)
		in.TargetPos = d.idx.valuePos(in.path + ".target")
	}
}

// Path is the route's YAML path as its file writes it (rules.routes[2] in
// the main file, routes[0] in an included one), for messages.
func (rt Route) Path() string { return displayPath(rt.path) }

// Path is the condition's YAML path as its file writes it.
func (c Condition) Path() string { return displayPath(c.path) }

// Path is the inhibition's YAML path as its file writes it.
func (in Inhibit) Path() string { return displayPath(in.path) }

func (r *Rules) validate(v *validator, targets map[string]string) {
	routeNames := map[string]string{}
	for i := range r.Routes {
		rt := &r.Routes[i]
		rt.validate(v, targets)
		if rt.Name == "" || !v.name(rt.path+".name", "route", rt.Name, false) {
			continue
		}
		if first, dup := routeNames[rt.Name]; dup {
			v.errorf(rt.path+".name", "%q is already the name of the route at %s", rt.Name, v.idx.valuePos(first))
		}
		routeNames[rt.Name] = rt.path
	}
	checkTargetRefs(v, "rules.default_to", r.DefaultTo, targets)
	condNames := map[string]string{}
	for i := range r.Conditions {
		c := &r.Conditions[i]
		c.validate(v)
		if c.Name == "" {
			continue
		}
		if first, dup := condNames[c.Name]; dup {
			v.errorf(c.path+".name", "%q is already the name of the condition at %s", c.Name, v.idx.valuePos(first))
		}
		condNames[c.Name] = c.path
	}
	r.validateNoise(v, targets, condNames)
}

func (rt *Route) validate(v *validator, targets map[string]string) {
	p := rt.path
	switch {
	case rt.Drop && len(rt.To) > 0:
		v.errorf(p+".drop", "a dropping route sends nothing; remove to or drop")
	case rt.Drop && rt.Continue:
		v.errorf(p+".continue", "a dropping route ends the event's routing; remove continue or drop")
	case !rt.Drop && len(rt.To) == 0:
		v.errorf(p, "needs to (a list of targets) or drop: true")
	}
	if rt.Severity != "" {
		v.oneOf(p+".severity", rt.Severity, severities()...)
	}
	if v.set(p+".when") && strings.TrimSpace(rt.When.Text) == "" {
		v.errorf(p+".when", "is empty; leave it out to accept every matched event")
	}
	checkTargetRefs(v, p+".to", rt.To, targets)
	validateMatch(v, p+".match", rt.Match)
	if len(rt.Template) > 0 && rt.Name == "" {
		v.errorf(p+".template", "needs the route to have a name: its notifications carry the route's name to the target")
	}
	for _, key := range sortedKeys(rt.Template) {
		tp := joinPath(p+".template", key)
		v.checkTemplate(tp, rt.Template[key])
		if key != "default" && event.CheckTypeGlob(key) != nil {
			v.checkTypeGlob(tp, key)
			continue // no types to check its fields against
		}
		for _, e := range sinks.CheckTemplateFields(rt.Template[key].Text, rt.templateTypes(key)) {
			v.errorf(tp, "%v", e)
		}
	}
	if v.set(p + ".once_per") {
		switch {
		case strings.TrimSpace(rt.OncePer.Text) == "":
			v.errorf(p+".once_per", "is empty; leave it out to send every matched event")
		case rt.Name == "":
			v.errorf(p+".once_per", "needs the route to have a name: the keys it has sent are remembered per route")
		case rt.Drop:
			v.errorf(p+".once_per", "a dropping route sends nothing; remove once_per or drop")
		}
	}
}

// templateTypes are the event types a route's template under key is used
// for: those the key matches ("default": every type) that the route's
// match.types take, or all the key matches when the route takes none of
// them (its match is reported on its own).
func (rt *Route) templateTypes(key string) []string {
	types := event.Types()
	if key != "default" {
		types, _ = event.TypesMatching(key)
	}
	if len(rt.Match.Types) == 0 {
		return types
	}
	var out []string
	for _, t := range types {
		for _, g := range rt.Match.Types {
			if ok, _ := path.Match(g, t); ok {
				out = append(out, t)
				break
			}
		}
	}
	if len(out) == 0 {
		return types
	}
	return out
}

// validateMatch checks a route's or an inhibition's matchers at path.
func validateMatch(v *validator, path string, m rules.Match) {
	for i, t := range m.Types {
		v.checkTypeGlob(fmt.Sprintf("%s.types[%d]", path, i), t)
	}
	for _, list := range []struct {
		key   string
		items []string
	}{{"projects", m.Projects}, {"names", m.Names}, {"labels", m.Labels}, {"steps", m.Steps}, {"sources", m.Sources}, {"rules", m.Rules}} {
		for i, p := range list.items {
			v.pattern(fmt.Sprintf("%s.%s[%d]", path, list.key, i), p)
		}
	}
	v.eachOneOf(path+".importance", m.Importance, importances()...)
	v.eachOneOf(path+".phases", m.Phases, phases()...)
	if m.SeverityAtLeast != "" {
		v.oneOf(path+".severity_at_least", m.SeverityAtLeast, severities()...)
	}
	v.eachOneOf(path+".severity", m.Severity, severities()...)
}

// checkTargetRefs checks that every name in a to list is a target.
func checkTargetRefs(v *validator, path string, names []string, targets map[string]string) {
	known := sortedKeys(targets)
	for i, name := range names {
		if _, ok := targets[name]; ok {
			continue
		}
		msg := fmt.Sprintf("unknown target %q; defined targets: %s", name, strings.Join(known, ", "))
		if s := suggest.Closest(name, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		v.errorf(fmt.Sprintf("%s[%d]", path, i), "%s", msg)
	}
	v.unique(path, names)
}

func (c *Condition) validate(v *validator) {
	p := c.path
	if c.Name == "" {
		v.errorf(p+".name", "is required (it names the condition in its events)")
	} else {
		v.name(p+".name", "condition", c.Name, false)
	}
	if strings.TrimSpace(c.Expr.Text) == "" {
		v.errorf(p+".expr", "is required: an expression over project and prev that is true while the condition holds")
	}
	if v.set(p+".while") && strings.TrimSpace(c.While.Text) == "" {
		v.errorf(p+".while", "is empty; leave it out for a condition that always applies")
	}
	if v.set(p+".value") && strings.TrimSpace(c.Value.Text) == "" {
		v.errorf(p+".value", "is empty; leave it out for events without a value")
	}
	v.oneOf(p+".severity", c.Severity, severities()...)
	for _, k := range sortedKeys(c.Labels) {
		if !labelKeyPattern().MatchString(k) {
			v.keyErrorf(joinPath(p+".labels", k), "%q is not a label name; use letters, digits and _, starting with a letter or _", k)
		}
	}
}

// labelKeyPattern is a condition label name, Prometheus style.
var labelKeyPattern = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*$`)
