package incident

import (
	"errors"
	"fmt"

	"github.com/omswatch/omswatch/event"
)

// ErrNotFound is returned for an incident id no record holds.
var ErrNotFound = errors.New("no such incident")

// ErrEnded is returned when acknowledging or resolving an incident that
// has already resolved.
var ErrEnded = errors.New("the incident has already resolved")

// Acknowledge marks an open incident as taken by ack.By (with a comment)
// and returns its oms.incident.acknowledged event. A second
// acknowledgement replaces the first (someone else took it over).
func (r *Record) Acknowledge(id string, ack Ack) (event.Event, error) {
	in, err := r.openIncident(id)
	if err != nil {
		return event.Event{}, err
	}
	if ack.By == "" {
		return event.Event{}, errors.New("say who acknowledges (--by)")
	}
	in.State, in.Ack = Acknowledged, &ack
	in.Updated = ack.At
	return Event(in, event.TypeIncidentAcknowledged, nil, ack.At, "", byFields(ack)), nil
}

// ResolveByHand ends an open incident now (reason manual) and returns its
// oms.incident.resolved event. If its cause is still there at the next
// poll, a new incident opens: to keep quiet about a known problem, silence
// it instead.
func (r *Record) ResolveByHand(id string, by Ack) (event.Event, error) {
	in, err := r.openIncident(id)
	if err != nil {
		return event.Event{}, err
	}
	if by.By == "" {
		return event.Event{}, errors.New("say who resolves (--by)")
	}
	in.State, in.Ended, in.Reason, in.Resolver = Resolved, by.At, "manual", &by
	in.Updated = by.At
	ev := Event(in, event.TypeIncidentResolved, nil, by.At, "", byFields(by))
	ended := *in
	for i := range r.Open {
		if r.Open[i].ID == id {
			r.Open = append(r.Open[:i:i], r.Open[i+1:]...)
			break
		}
	}
	r.Resolved = append(r.Resolved, ended)
	if n := len(r.Resolved) - keepResolved; n > 0 {
		r.Resolved = r.Resolved[n:]
	}
	return ev, nil
}

// Find returns the incident with id, open or resolved.
func (r *Record) Find(id string) (Incident, bool) {
	for _, list := range [][]Incident{r.Open, r.Resolved} {
		for _, in := range list {
			if in.ID == id {
				return in, true
			}
		}
	}
	return Incident{}, false
}

func (r *Record) openIncident(id string) (*Incident, error) {
	for i := range r.Open {
		if r.Open[i].ID == id {
			return &r.Open[i], nil
		}
	}
	if _, ok := r.Find(id); ok {
		return nil, fmt.Errorf("incident %s: %w", id, ErrEnded)
	}
	return nil, fmt.Errorf("incident %s: %w", id, ErrNotFound)
}

func byFields(a Ack) map[string]any {
	f := map[string]any{"by": a.By}
	if a.Comment != "" {
		f["comment"] = a.Comment
	}
	return f
}
