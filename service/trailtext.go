package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// HistoryFormat says how WriteHistory prints a trail.
type HistoryFormat struct {
	// JSON prints each event's stored CloudEvents JSON, with its records
	// in the member "omswatchrecord", and each condition record that made
	// no event as its own line; else text.
	JSON bool
	// Type, when set, keeps only the event types it matches (a glob).
	Type string
	// Patch adds each event's JSON Patch (text).
	Patch bool
	// Since drops events observed before it (stored after it).
	Since time.Time
}

// WriteHistory prints a trail, oldest first: each event's line and where
// it went (targets and outcomes, silences, inhibitions, drops), and the
// condition changes that made no event (pending, back to inactive).
func WriteHistory(w io.Writer, t *Trail, f HistoryFormat) error {
	var b bytes.Buffer
	conds := t.Conditions
	flushConds := func(until time.Time) {
		for len(conds) > 0 && (until.IsZero() || conds[0].Time.Before(until)) {
			if c := conds[0]; c.Condition.Event == "" && f.showConditions() && !c.Time.Before(f.Since) {
				f.writeCondition(&b, &c)
			}
			conds = conds[1:]
		}
	}
	for i := range t.Events {
		te := &t.Events[i]
		e := te.Event
		flushConds(e.Time)
		if e.Time.Before(f.Since) {
			continue
		}
		if f.Type != "" {
			if ok, _ := path.Match(f.Type, e.Type); !ok {
				continue
			}
		}
		if f.JSON {
			if err := writeEventJSON(&b, t, te); err != nil {
				return err
			}
			continue
		}
		b.WriteString(event.Summary(e))
		b.WriteByte('\n')
		if f.Patch {
			for _, ch := range e.Data.Changes {
				fmt.Fprintf(&b, "    %s\n", ch)
			}
		}
		for _, line := range t.whereWent(te) {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	flushConds(time.Time{})
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

func (f HistoryFormat) showConditions() bool {
	if f.Type == "" {
		return true
	}
	ok, _ := path.Match(f.Type, event.TypeConditionFiring)
	return ok
}

func (f HistoryFormat) writeCondition(b *bytes.Buffer, r *sinks.Record) {
	if f.JSON {
		raw, _ := json.Marshal(r) // a record decoded from JSON encodes
		b.Write(raw)
		b.WriteByte('\n')
		return
	}
	fmt.Fprintf(b, "%s condition %s: %s\n", r.Time.UTC().Format(time.RFC3339), r.Condition.Rule, conditionWords(r))
}

// conditionWords says what a condition record means.
func conditionWords(r *sinks.Record) string {
	c := r.Condition
	forDur, _ := time.ParseDuration(c.For)
	var s string
	switch {
	case c.To == "pending":
		s = "pending: started to hold"
		if forDur > 0 {
			s += fmt.Sprintf("; fires at %s if it still holds then (for: %s)", clock(c.Since.Add(forDur), r.Time), humanDur(forDur))
		}
	case c.To == "firing" && forDur > 0:
		s = fmt.Sprintf("firing: held for its for: %s, since %s", humanDur(forDur), clock(c.Since, r.Time))
	case c.To == "firing":
		s = "firing: holds (no for:)"
	case c.From == "pending":
		why := "stopped holding"
		if c.Reason == "no longer applies" {
			why = "no longer applies (its while is false)"
		}
		s = fmt.Sprintf("back to inactive: %s after %s", why, humanDur(r.Time.Sub(c.Since)))
		if forDur > 0 {
			s += fmt.Sprintf(" of its for: %s, so it did not fire", humanDur(forDur))
		}
	case c.Reason == "recovered":
		s = "resolved: recovered (its expression stopped holding)"
	default:
		s = "resolved: no longer applies (its while is false, or the project is gone)"
	}
	if c.Value != nil {
		s += "; value " + valueWords(c.Value)
	}
	return s
}

// valueWords writes a condition's value, durations rounded to seconds.
func valueWords(v any) string {
	str := fmt.Sprint(v)
	if d, err := time.ParseDuration(str); err == nil {
		return humanDur(d)
	}
	return str
}

// humanDur writes a duration to the second, without zero units: 5m, 1h30m.
func humanDur(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// whereWent says in lines what became of an event.
func (t *Trail) whereWent(te *TrailEvent) []string {
	var out []string
	if c := t.conditionOf(te.Event.ID); c != nil {
		out = append(out, "condition "+c.Condition.Rule+": "+conditionWords(c))
	}
	r := te.Routing
	if r != nil {
		out = append(out, routingWords(r, te.Event.Time)...)
	}
	for _, recs := range te.byTarget() {
		out = append(out, t.targetWords(recs, te.Event)...)
	}
	if r != nil && r.Muted == nil && len(te.Targets) == 0 && !dropped(r) && !oncePerOnly(r) {
		out = append(out, "sent nowhere: no route took it and rules.default_to is empty")
	}
	return out
}

func dropped(r *sinks.Routing) bool {
	for _, rt := range r.Routes {
		if rt.Action == "drop" {
			return true
		}
	}
	return false
}

func oncePerOnly(r *sinks.Routing) bool {
	for _, rt := range r.Routes {
		if rt.Action != "once_per" {
			return false
		}
	}
	return len(r.Routes) > 0
}

// routingWords says why an event went nowhere, or only some places.
func routingWords(r *sinks.Routing, ref time.Time) []string {
	var out []string
	if m := r.Muted; m != nil {
		out = append(out, muteWords(m, ref))
	}
	for _, rt := range r.Routes {
		switch rt.Action {
		case "drop":
			out = append(out, "dropped by route "+routeName(rt))
		case "once_per":
			out = append(out, fmt.Sprintf("not sent by route %s: its once_per key %q was sent before", routeName(rt), rt.Key))
		}
	}
	return out
}

func routeName(rt sinks.RouteRecord) string {
	if rt.Where == "" {
		return rt.Name
	}
	return rt.Name + " (" + rt.Where + ")"
}

// muteWords: silenced by 7f3a (dba, "maintenance", until 14:00), or
// inhibited by project_failed (event 91ac...).
func muteWords(m *sinks.MuteRecord, ref time.Time) string {
	switch {
	case m.Silence != nil:
		s := m.Silence
		var parts []string
		if s.CreatedBy != "" {
			parts = append(parts, s.CreatedBy)
		}
		if s.Comment != "" {
			parts = append(parts, fmt.Sprintf("%q", s.Comment))
		}
		parts = append(parts, "until "+clock(s.EndsAt, ref), strings.Join(s.Matchers, " "))
		return "silenced by " + shortID(s.ID) + " (" + strings.Join(parts, ", ") + ")"
	case m.Inhibit != "":
		s := "inhibited by " + m.Inhibit
		var parts []string
		for i, c := range m.SourceConditions {
			p := "condition " + c + " firing"
			if i < len(m.SourceEvents) {
				p += ", event " + shortID(m.SourceEvents[i])
			}
			parts = append(parts, p)
		}
		if len(parts) == 0 {
			parts = append(parts, "its source_when holds")
		}
		return s + " (" + strings.Join(parts, "; ") + ")"
	}
	return "not sent: the firing it resolves was muted (" + m.Inherited + ")"
}

// targetWords: -> #oms-dba (delivered 12:03:05, ts 1712...), and the
// notification it went in.
func (t *Trail) targetWords(recs []sinks.Record, e event.Event) []string {
	ref := e.Time
	last := recs[len(recs)-1].Delivery
	name := last.Target
	if d, ok := t.Display[name]; ok {
		name = d
	}
	if last.Outcome == "" {
		return []string{"-> " + name + " (no delivery recorded yet)"}
	}
	at := clock(recs[len(recs)-1].Time, ref)
	after := ""
	if last.Attempt > 1 {
		after = fmt.Sprintf(" after %d attempts", last.Attempt)
	}
	var s string
	switch last.Outcome {
	case sinks.OutcomeDelivered:
		s = "delivered " + at + after + receiptWords(last.Receipts[e.ID])
	case sinks.OutcomeDeadLettered:
		s = "dead-lettered " + at + after + ": " + last.Error
	default:
		s = fmt.Sprintf("attempt %d failed %s: %s; retrying in %s", last.Attempt, at, last.Error, last.RetryIn)
	}
	out := []string{"-> " + name + " (" + s + ")"}
	if g := groupWords(recs[0].Delivery, ref); g != "" {
		out = append(out, "   "+g)
	}
	return out
}

func receiptWords(rc sinks.Receipt) string {
	switch {
	case rc.TS != "":
		return ", ts " + rc.TS
	case rc.Status != 0:
		return fmt.Sprintf(", HTTP %d", rc.Status)
	}
	return ""
}

// groupWords says which notification carried the event and what held it.
func groupWords(d *sinks.DeliveryRecord, ref time.Time) string {
	if d.Opened.IsZero() {
		return ""
	}
	s := "in notification " + d.Notification
	if d.Group != "" {
		s += " (" + d.Group + ")"
	}
	if !d.GroupWaitUntil.IsZero() {
		s += ", held by group_wait until " + clock(d.GroupWaitUntil, ref)
	}
	if !d.RateLimitedUntil.IsZero() {
		s += ", by the rate limit until " + clock(d.RateLimitedUntil, ref)
	}
	return s
}

// writeEventJSON writes the stored event with its records.
func writeEventJSON(b *bytes.Buffer, t *Trail, te *TrailEvent) error {
	raw := bytes.TrimRight(te.Raw, " \n\r\t")
	type record struct {
		Routing    *sinks.Routing `json:"routing,omitempty"`
		Targets    []string       `json:"targets,omitempty"`
		Condition  *sinks.Record  `json:"condition,omitempty"`
		Deliveries []sinks.Record `json:"deliveries,omitempty"`
	}
	rec := record{Routing: te.Routing, Targets: te.Targets, Condition: t.conditionOf(te.Event.ID), Deliveries: te.Deliveries}
	if rec.Routing == nil && rec.Condition == nil && len(rec.Deliveries) == 0 || len(raw) == 0 || raw[len(raw)-1] != '}' {
		b.Write(raw)
		b.WriteByte('\n')
		return nil
	}
	enc, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("history: records of %s: %w", te.Event.ID, err)
	}
	b.Write(raw[:len(raw)-1])
	b.WriteString(`,"omswatchrecord":`)
	b.Write(enc)
	b.WriteString("}\n")
	return nil
}

// clock writes t as 15:04:05 when it is on ref's day (UTC), else in full.
func clock(t, ref time.Time) string {
	t, ref = t.UTC(), ref.UTC()
	if t.YearDay() == ref.YearDay() && t.Year() == ref.Year() {
		return t.Format(time.TimeOnly)
	}
	return t.Format(time.RFC3339)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12] + "..."
	}
	return id
}
