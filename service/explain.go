package service

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/sinks"
)

// ExplainQuery says what explain looks at: one event (Event, an id or
// its first characters), one condition (Rule), or everything around At.
type ExplainQuery struct {
	At     time.Time
	Event  string
	Rule   string
	Window time.Duration // each side of At (default 15m)
	// Now ends the window when it would reach past it (zero: no end).
	Now time.Time
}

// DefaultExplainWindow is how far on each side of --at explain looks.
const DefaultExplainWindow = 15 * time.Minute

// Explain says in words why things did or did not fire for the trail's
// project: for each condition its state at q.At, its changes and values
// over the window and why it did or did not reach for:, then for each
// event the routes, silences, inhibitions, grouping and deliveries. With
// q.Event, that event alone; with q.Rule, that condition over the whole
// trail. An unknown event or rule is an error naming what is known.
func Explain(w io.Writer, t *Trail, cfg *config.Config, q ExplainQuery) error {
	var b bytes.Buffer
	switch {
	case q.Event != "":
		te, err := t.findEvent(q.Event)
		if err != nil {
			return err
		}
		t.explainEvent(&b, te)
	case q.Rule != "":
		if err := t.explainRule(&b, cfg, q.Rule); err != nil {
			return err
		}
	default:
		t.explainAt(&b, cfg, q)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	return nil
}

func (t *Trail) findEvent(id string) (*TrailEvent, error) {
	id = strings.TrimSuffix(id, "...")
	var found []*TrailEvent
	for i := range t.Events {
		if strings.HasPrefix(t.Events[i].Event.ID, id) {
			found = append(found, &t.Events[i])
		}
	}
	switch len(found) {
	case 0:
		return nil, Invalidf("event %s: no event of project %s has that id (omswatch history %s lists them)", id, t.Project, t.Project)
	case 1:
		return found[0], nil
	}
	return nil, Invalidf("event %s: %d events of project %s start so; give more of the id", id, len(found), t.Project)
}

// explainEvent writes an event, its decision and its deliveries.
func (t *Trail) explainEvent(b *bytes.Buffer, te *TrailEvent) {
	e := te.Event
	fmt.Fprintf(b, "%s\n  event %s\n", event.Summary(e), e.ID)
	if st := sinks.StatusOf(te.Header); st != nil && st.ETA != "" {
		fmt.Fprintf(b, "  incremental sync then: %s behind, %s\n", st.SyncDelay.Round(time.Second), trend(st.ETA))
	}
	r := te.Routing
	if r == nil {
		b.WriteString("  no decision was recorded with this event (stored before decision records were kept)\n")
	} else {
		for _, line := range routeLines(r) {
			b.WriteString("  " + line + "\n")
		}
	}
	if r != nil && r.Muted == nil {
		for _, rt := range r.Routes {
			for _, to := range rt.To {
				if !slices.Contains(te.Targets, to) {
					fmt.Fprintf(b, "  not sent to %s: discovery.announce keeps first sightings without problems out of chat\n", to)
				}
			}
		}
	}
	for _, line := range t.whereWent(te) {
		b.WriteString("  " + line + "\n")
	}
	for _, recs := range te.byTarget() {
		if len(recs) < 2 {
			continue
		}
		for _, rec := range recs {
			d := rec.Delivery
			s := fmt.Sprintf("    %s attempt %d at %s: %s", d.Target, d.Attempt, clock(rec.Time, e.Time), strings.ReplaceAll(d.Outcome, "_", "-"))
			if d.Error != "" {
				s += ": " + d.Error
			}
			b.WriteString(s + "\n")
		}
	}
}

// routeLines says which routes took the event and which matched it but
// did not.
func routeLines(r *sinks.Routing) []string {
	var out []string
	for _, rt := range r.Routes {
		switch rt.Action {
		case "drop", "once_per":
			continue // whereWent says so
		default:
			out = append(out, fmt.Sprintf("route %s took it: to %s", routeName(rt), strings.Join(rt.To, ", ")))
		}
	}
	for _, rt := range r.Passed {
		if rt.Action == sinks.RouteTaken {
			verb := "took the event first (no continue)"
			if dropped(&sinks.Routing{Routes: r.Routes}) {
				verb = "dropped the event first"
			}
			out = append(out, fmt.Sprintf("route %s matched, but route %s %s", routeName(rt), rt.TakenBy, verb))
		} else {
			out = append(out, fmt.Sprintf("route %s matched, but its when was false", routeName(rt)))
		}
	}
	if len(r.Routes) == 0 {
		if len(r.DefaultTo) > 0 {
			out = append(out, "no route took it: rules.default_to sends it to "+strings.Join(r.DefaultTo, ", "))
		}
	}
	return out
}

// explainRule writes one condition's changes over the trail and the
// events it made.
func (t *Trail) explainRule(b *bytes.Buffer, cfg *config.Config, rule string) error {
	names := conditionNames(cfg, t)
	if !slices.Contains(names, rule) {
		return Invalidf("--rule %q: no such condition; want one of %s", rule, strings.Join(names, ", "))
	}
	writeConditionHead(b, cfg, rule)
	recs := t.conditionRecords(rule, time.Time{}, time.Time{})
	if len(recs) == 0 {
		fmt.Fprintf(b, "  it never held for %s in the records: its expression (or its while) was false at every poll\n", t.Project)
		return nil
	}
	for i := range recs {
		writeConditionRecord(b, &recs[i])
	}
	for i := range t.Events {
		te := &t.Events[i]
		if c := t.conditionOf(te.Event.ID); c != nil && c.Condition.Rule == rule {
			b.WriteByte('\n')
			t.explainEvent(b, te)
		}
	}
	return nil
}

// explainAt writes every condition's state at q.At and its changes in the
// window, then the events of the window.
func (t *Trail) explainAt(b *bytes.Buffer, cfg *config.Config, q ExplainQuery) {
	win := cmpOr(q.Window, DefaultExplainWindow)
	from, to := q.At.Add(-win), q.At.Add(win)
	if !q.Now.IsZero() && to.After(q.Now) {
		to = q.Now // nothing is recorded after now: "looking to" a future time misleads
	}
	fmt.Fprintf(b, "project %s at %s (looking from %s to %s)\n\n", t.Project, q.At.UTC().Format(time.RFC3339),
		clock(from, q.At), clock(to, q.At))
	if line := t.incrAt(from, q.At); line != "" {
		b.WriteString(line + "\n\n")
	}
	names := conditionNames(cfg, t)
	if len(names) == 0 {
		b.WriteString("no conditions are configured\n")
	}
	for _, rule := range names {
		writeConditionHead(b, cfg, rule)
		b.WriteString("  at " + clock(q.At, q.At) + ": " + t.stateAt(rule, q.At, cfg.Rules.RepeatInterval.Duration()) + "\n")
		recs := t.conditionRecords(rule, from, to)
		for i := range recs {
			writeConditionRecord(b, &recs[i])
		}
	}
	n := 0
	for i := range t.Events {
		te := &t.Events[i]
		if te.Event.Time.Before(from) || te.Event.Time.After(to) {
			continue
		}
		if n == 0 {
			b.WriteString("\nevents:\n")
		}
		n++
		t.explainEvent(b, te)
	}
	if n == 0 {
		b.WriteString("\nno event of the project between those times\n")
	}
}

// stateAt says what a condition was at a time, from its last change
// before it.
func (t *Trail) stateAt(rule string, at time.Time, repeat time.Duration) string {
	var last *sinks.Record
	for i := range t.Conditions {
		r := &t.Conditions[i]
		if r.Condition.Rule == rule && !r.Time.After(at) {
			last = r
		}
	}
	if last == nil {
		return "inactive: no change recorded before then (it did not hold, or its while did not apply)"
	}
	c := last.Condition
	switch c.To {
	case "pending":
		s := "pending since " + clock(c.Since, at)
		if d, err := time.ParseDuration(c.For); err == nil {
			s += fmt.Sprintf(", %s of its for: %s; fires at %s if it still holds then", humanDur(at.Sub(c.Since)), humanDur(d), clock(c.Since.Add(d), at))
		}
		return s
	case "firing":
		s := "firing since " + clock(last.Time, at) + " (held since " + clock(c.Since, at) + ")"
		if told := t.lastFiring(rule, at); repeat > 0 && !told.IsZero() {
			s += "; told last at " + clock(told, at) + ", again at " + clock(told.Add(repeat), at) +
				" if it still fires (repeat_interval " + humanDur(repeat) + ")"
		}
		return s
	}
	return "inactive since " + clock(last.Time, at) + " (" + conditionWords(last) + ")"
}

func (t *Trail) conditionRecords(rule string, from, to time.Time) []sinks.Record {
	var out []sinks.Record
	for _, r := range t.Conditions {
		if r.Condition.Rule != rule || (!from.IsZero() && r.Time.Before(from)) || (!to.IsZero() && r.Time.After(to)) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// conditionNames are the configured conditions, then those only the
// records know (since removed from the configuration).
func conditionNames(cfg *config.Config, t *Trail) []string {
	var names []string
	for _, c := range cfg.Rules.Conditions {
		names = append(names, c.Name)
	}
	for _, r := range t.Conditions {
		if !slices.Contains(names, r.Condition.Rule) {
			names = append(names, r.Condition.Rule)
		}
	}
	return names
}

func writeConditionHead(b *bytes.Buffer, cfg *config.Config, rule string) {
	for _, c := range cfg.Rules.Conditions {
		if c.Name != rule {
			continue
		}
		fmt.Fprintf(b, "condition %s: %s", rule, c.Expr.Text)
		if d := c.For.Duration(); d > 0 {
			fmt.Fprintf(b, " for %s", humanDur(d))
		}
		b.WriteByte('\n')
		return
	}
	fmt.Fprintf(b, "condition %s (no longer configured)\n", rule)
}

func writeConditionRecord(b *bytes.Buffer, r *sinks.Record) {
	fmt.Fprintf(b, "  %s %s\n", clock(r.Time, r.Time), conditionWords(r))
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// lastFiring is when the condition's last firing event (first or
// reminder) up to at was made.
func (t *Trail) lastFiring(rule string, at time.Time) time.Time {
	var last time.Time
	for _, te := range t.Events {
		e := te.Event
		if e.Type == event.TypeConditionFiring && !e.Time.After(at) && e.Data.Fields["rule"] == rule {
			last = e.Time
		}
	}
	return last
}

// incrAt says where the project's incremental sync stood at `at`: its
// delay and catch-up ETA as the status of its last event between from and
// at carried them (what its status card showed); "" when none says.
func (t *Trail) incrAt(from, at time.Time) string {
	for i := len(t.Events) - 1; i >= 0; i-- {
		te := &t.Events[i]
		if te.Event.Time.After(at) || te.Event.Time.Before(from) {
			continue
		}
		st := sinks.StatusOf(te.Header)
		if st == nil || !st.SyncDelayKnown {
			continue
		}
		head := "incremental sync at " + clock(st.Time, at) + ": " + st.SyncDelay.Round(time.Second).String() + " behind"
		switch {
		case st.ETA != "":
			return head + ", " + trend(st.ETA)
		case st.SyncDelay < oms.MinETADelay:
			return head + ", in sync"
		}
		return head + ", no trend yet (it takes 3 polls of the delay)"
	}
	return ""
}

// trend is an ETA's words after its delay: "stalled at 5m0s behind" says
// the delay again.
func trend(eta string) string {
	if strings.HasPrefix(eta, oms.Stalled) {
		return oms.Stalled
	}
	return eta
}
