package service

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/sinks"
)

// Trail is a project's events from the audit trail with the decision
// records about them: where each went and why, and its conditions'
// changes.
type Trail struct {
	Project string
	Events  []TrailEvent
	// Conditions are the condition records, oldest first.
	Conditions []sinks.Record
	// Display names targets for people: a Slack target by its channel.
	Display map[string]string
}

// TrailEvent is one stored event and what became of it.
type TrailEvent struct {
	sinks.StoredEvent
	// Routing is what the rules decided (nil for an event stored before
	// records were kept); Targets the targets it was addressed to.
	Routing *sinks.Routing
	Targets []string
	// Deliveries are the delivery attempts of the event, oldest first.
	Deliveries []sinks.Record
}

// ReadTrail reads a project's events and decision records from where
// the configuration keeps them (see openTrail).
func ReadTrail(ctx context.Context, cfg *config.Config, q sinks.HistoryQuery, log *slog.Logger) (*Trail, error) {
	a := &app{}
	defer a.close()
	js, err := openTrail(ctx, a, cfg, log)
	if err != nil {
		return nil, err
	}
	events, err := sinks.History(ctx, js, q)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		known, err := sinks.HasHistory(ctx, js, q)
		if err != nil {
			return nil, err
		}
		if !known {
			return nil, fmt.Errorf("project %s is not in the audit trail: no event of it was ever recorded here", q.Project)
		}
	}
	// A condition's state at a time depends on its changes before it:
	// read them all (they are few), and the deliveries since q.Since.
	recs, err := sinks.Records(ctx, js, sinks.RecordQuery{Project: q.Project, Kind: sinks.RecordCondition})
	if err != nil {
		return nil, err
	}
	deliveries, err := sinks.Records(ctx, js, sinks.RecordQuery{Project: q.Project, Kind: sinks.RecordDelivery, Since: q.Since})
	if err != nil {
		return nil, err
	}
	recs = append(recs, deliveries...)
	t := newTrail(q.Project, events, recs, log)
	t.Display = targetDisplay(cfg)
	return t, nil
}

// newTrail joins the events and the records.
func newTrail(project string, events []sinks.StoredEvent, recs []sinks.Record, log *slog.Logger) *Trail {
	t := &Trail{Project: project}
	byID := map[string]int{}
	for _, se := range events {
		te := TrailEvent{StoredEvent: se, Targets: sinks.TargetsOf(se.Header)}
		r, err := sinks.RoutingOf(se.Header)
		if err != nil {
			log.Warn("an event's routing record cannot be read", "event_id", se.Event.ID, "error", err)
		}
		te.Routing = r
		byID[se.Event.ID] = len(t.Events)
		t.Events = append(t.Events, te)
	}
	for _, r := range recs {
		switch {
		case r.Condition != nil:
			t.Conditions = append(t.Conditions, r)
		case r.Delivery != nil:
			for _, id := range r.Delivery.Events {
				if i, ok := byID[id]; ok {
					t.Events[i].Deliveries = append(t.Events[i].Deliveries, r)
				}
			}
		}
	}
	for i := range t.Events {
		slices.SortStableFunc(t.Events[i].Deliveries, func(a, b sinks.Record) int { return a.Time.Compare(b.Time) })
	}
	slices.SortStableFunc(t.Conditions, func(a, b sinks.Record) int { return a.Time.Compare(b.Time) })
	return t
}

// targetDisplay names Slack targets by their channel.
func targetDisplay(cfg *config.Config) map[string]string {
	out := map[string]string{}
	for name, st := range cfg.Slack.Targets {
		if st.Channel == "" {
			continue
		}
		ch := "#" + trimHash(st.Channel)
		if trimHash(st.Channel) == name {
			out[name] = ch
		} else {
			out[name] = ch + " (" + name + ")"
		}
	}
	return out
}

func trimHash(s string) string {
	for len(s) > 0 && s[0] == '#' {
		s = s[1:]
	}
	return s
}

// conditionOf returns the condition record that made an event, if any.
func (t *Trail) conditionOf(eventID string) *sinks.Record {
	for i := range t.Conditions {
		if c := t.Conditions[i].Condition; c.Event == eventID {
			return &t.Conditions[i]
		}
	}
	return nil
}

// byTarget groups an event's delivery records by target, in the order the
// event was addressed.
func (te *TrailEvent) byTarget() [][]sinks.Record {
	order := slices.Clone(te.Targets)
	for _, r := range te.Deliveries {
		if !slices.Contains(order, r.Delivery.Target) {
			order = append(order, r.Delivery.Target)
		}
	}
	out := make([][]sinks.Record, len(order))
	for _, r := range te.Deliveries {
		i := slices.Index(order, r.Delivery.Target)
		out[i] = append(out[i], r)
	}
	for i := range out {
		if out[i] == nil {
			out[i] = []sinks.Record{{Kind: sinks.RecordDelivery, Delivery: &sinks.DeliveryRecord{Target: order[i]}}}
		}
	}
	return out
}
