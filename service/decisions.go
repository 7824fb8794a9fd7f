package service

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// routeNames are the routes' names and positions (file:line) as the
// records show them, built once per engine.
type routeNames struct {
	names, wheres []string
}

func newRouteNames(eng *rules.Engine) routeNames {
	var rn routeNames
	for _, rt := range eng.Routes() {
		name := rt.Name
		if name == "" {
			name = rt.Path
		}
		rn.names = append(rn.names, name)
		rn.wheres = append(rn.wheres, fileLine(rt.Where))
	}
	return rn
}

// fileLine shortens file:line:column to the file's base name and line.
func fileLine(where string) string {
	if where == "" {
		return ""
	}
	parts := strings.Split(where, ":")
	if len(parts) >= 3 {
		parts = parts[:len(parts)-1]
	}
	parts[0] = filepath.Base(parts[0])
	return strings.Join(parts, ":")
}

func (rn routeNames) route(i int) (name, where string) {
	if i < 0 || i >= len(rn.names) {
		return "", ""
	}
	return rn.names[i], rn.wheres[i]
}

// routing is a decision as the audit trail records it with the event.
func (rn routeNames) routing(d *rules.Decision, defaultTo []string) *sinks.Routing {
	r := &sinks.Routing{}
	for _, h := range d.Routes {
		name, where := rn.route(h.Index)
		r.Routes = append(r.Routes, sinks.RouteRecord{Name: name, Where: where, Action: h.Action, Key: h.Key, To: h.Targets})
	}
	for _, m := range d.Passed {
		name, where := rn.route(m.Index)
		rec := sinks.RouteRecord{Name: name, Where: where, Action: sinks.RouteWhenFalse}
		if m.Why == rules.MissTaken {
			rec.Action = sinks.RouteTaken
			rec.TakenBy, _ = rn.route(m.TakenBy)
		}
		r.Passed = append(r.Passed, rec)
	}
	if d.Default {
		r.DefaultTo = defaultTo
	}
	if m := d.Mute; m != nil {
		mr := &sinks.MuteRecord{Inhibit: m.Inhibit, SourceConditions: m.SourceConditions,
			SourceEvents: m.SourceEvents, Inherited: m.Inherited}
		if s := m.Silence; s != nil {
			mr.Silence = &sinks.SilenceRecord{ID: s.ID, CreatedBy: s.CreatedBy, Comment: s.Comment,
				StartsAt: s.StartsAt, EndsAt: s.EndsAt}
			for _, x := range s.Matchers {
				mr.Silence.Matchers = append(mr.Silence.Matchers, x.String())
			}
		}
		r.Muted = mr
	}
	return r
}

// conditionRecords are a poll's condition changes as decision records.
func conditionRecords(source, project string, now time.Time, trs []rules.Transition) []sinks.Record {
	out := make([]sinks.Record, 0, len(trs))
	for _, t := range trs {
		c := &sinks.ConditionRecord{Rule: t.Rule, From: t.From, To: t.To, Since: t.Since,
			Value: t.Value, Reason: t.Reason, Event: t.Event}
		if t.For > 0 {
			c.For = t.For.String()
		}
		if t.KeepFiringFor > 0 {
			c.KeepFiringFor = t.KeepFiringFor.String()
		}
		out = append(out, sinks.Record{Kind: sinks.RecordCondition, Time: now.UTC(), Source: source, Project: project, Condition: c})
	}
	return out
}
