package slack

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
)

// Escape makes OMS text inert in mrkdwn: &, < and > become entities, so
// "<!channel>" or "<https://evil|click>" in a project name is shown, not
// acted on. Slack asks for exactly these three.
func Escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// DefaultTemplates returns the built-in message of every event type of the
// catalog, in mrkdwn: the catalog's Slack template of each type, which may
// call the icon and join funcs below.
func DefaultTemplates() map[string]string {
	out := map[string]string{}
	for _, typ := range event.Types() {
		s, _ := event.Describe(typ)
		out[typ] = s.Slack
	}
	return out
}

func funcs() template.FuncMap {
	return template.FuncMap{
		"when":         when,
		"since":        since,
		"dur":          dur,
		"alarmRules":   event.AlarmRules,
		"recentAlarms": event.RecentAlarms,
		// human writes a condition's value: a time as when does, a
		// duration as dur does, anything else as it is.
		"human": func(v any, now time.Time) string {
			if _, ok := timeOf(v); ok {
				return when(v, now)
			}
			return dur(v)
		},
		"icon": func(sev string) string {
			switch event.Severity(sev) {
			case event.Critical:
				return ":red_circle:"
			case event.Warning:
				return ":warning:"
			}
			return ":large_blue_circle:"
		},
		"join": func(v any) string {
			switch t := v.(type) {
			case []any:
				parts := make([]string, len(t))
				for i, x := range t {
					parts[i] = fmt.Sprint(x)
				}
				return strings.Join(parts, ", ")
			case []string:
				return strings.Join(t, ", ")
			case nil:
				return ""
			}
			return fmt.Sprint(v)
		},
	}
}

// templateSet is the compiled templates of one scope (built-in, target,
// route): type globs in name order, then "default".
type templateSet struct {
	globs []string
	byKey map[string]*template.Template
}

func compileSet(scope string, texts map[string]string) (*templateSet, error) {
	ts := &templateSet{byKey: map[string]*template.Template{}}
	for _, k := range slices.Sorted(maps.Keys(texts)) {
		t, err := template.New(k).Funcs(funcs()).Option("missingkey=zero").Parse(texts[k])
		if err != nil {
			return nil, fmt.Errorf("%s template %q: %w", scope, k, err)
		}
		if k != "default" {
			if _, err := path.Match(k, ""); err != nil {
				return nil, fmt.Errorf("%s template %q: %w", scope, k, err)
			}
			ts.globs = append(ts.globs, k)
		}
		ts.byKey[k] = t
	}
	return ts, nil
}

// pick returns the set's template for an event type, or nil.
func (ts *templateSet) pick(typ string) *template.Template {
	if ts == nil {
		return nil
	}
	for _, g := range ts.globs {
		if ok, _ := path.Match(g, typ); ok {
			return ts.byKey[g]
		}
	}
	return ts.byKey["default"]
}

// renderer renders events with the route's, the target's or the built-in
// template, in that order.
type renderer struct {
	builtin, target *templateSet
	routes          map[string]*templateSet
	// link is the project's page in the OMS console ("" for none).
	link func(event.Event) string
	// runbook is the runbook of an event's problem ("" for none); nil
	// shows none.
	runbook func(*event.Event) string
}

func newRenderer(t Target, routes RouteTemplates, link func(event.Event) string) (*renderer, error) {
	r := &renderer{routes: map[string]*templateSet{}, link: link}
	var err error
	if r.builtin, err = compileSet("built-in", DefaultTemplates()); err != nil {
		return nil, err
	}
	if r.target, err = compileSet("target", texts(t.Template)); err != nil {
		return nil, err
	}
	for route, m := range routes {
		if r.routes[route], err = compileSet("route "+route, texts(m)); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// texts are the templates' texts by key.
func texts(m map[string]setting.Template) map[string]string {
	out := make(map[string]string, len(m))
	for k, t := range m {
		out[k] = t.Text
	}
	return out
}

// line renders one event. A template that fails on this event falls back
// to the built-in one, so a notification is never lost to a template.
func (r *renderer) line(route string, e event.Event) string {
	data := sinks.NewTemplateData(e, Escape)
	if r.link != nil {
		data.Link = Escape(r.link(e))
	}
	for _, t := range []*template.Template{r.routes[route].pick(e.Type), r.target.pick(e.Type), r.builtin.pick(e.Type)} {
		if t == nil {
			continue
		}
		var b strings.Builder
		if t.Execute(&b, data) == nil {
			return strings.TrimSpace(b.String())
		}
	}
	return fmt.Sprintf("%s *%s*", e.Type, Escape(e.Data.Project.Name))
}

// text renders a notification's events, one line each.
func (r *renderer) text(n *sinks.Notification, events []event.Event) string {
	lines := make([]string, 0, len(events)+1)
	var shown []string // each runbook once a message
	for _, e := range events {
		lines = append(lines, r.line(n.Route, e))
		if r.runbook == nil {
			continue
		}
		if rb := r.runbook(&e); rb != "" && !slices.Contains(shown, rb) {
			shown = append(shown, rb)
			lines = append(lines, ":book: *Runbook:* "+runbookText(oneLine(rb, 500)))
		}
	}
	if n.Dropped > 0 {
		lines = append(lines, fmt.Sprintf("_(%d earlier notifications were dropped by the rate limit)_", n.Dropped))
	}
	return strings.Join(lines, "\n")
}

// Renderer renders notifications as a target would send them: the text of
// the replies (bot mode) or of the message (webhook mode). `omswatch rules
// test` and `replay` show it, so a dry run shows exactly what Slack gets.
type Renderer struct{ r *renderer }

// NewRenderer compiles a target's templates; runbook is the client's
// (ClientOptions.Runbook; nil for none).
func NewRenderer(t Target, routes RouteTemplates, runbook func(*event.Event) string) (*Renderer, error) {
	r, err := newRenderer(t, routes, nil)
	if err != nil {
		return nil, err
	}
	r.runbook = runbook
	return &Renderer{r: r}, nil
}

// Text renders n's events, one line each, with the route's, the target's
// or the built-in template, OMS text escaped; first sightings announced
// in a summary as the summary and the lines of the projects with problems.
func (r *Renderer) Text(n sinks.Notification) string {
	if n.Route != sinks.RouteFirstSight {
		return r.r.text(&n, n.Events)
	}
	problems := withProblems(n.Events)
	text := firstSightSummary(n.Events, len(problems), r.r.link)
	if len(problems) > 0 {
		text += "\n" + r.r.text(&n, problems)
	}
	return text
}
