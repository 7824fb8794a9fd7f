package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
)

// State is where an incident is in its life.
type State string

// The states of an incident.
const (
	Firing       State = "firing"
	Acknowledged State = "acknowledged"
	Resolved     State = "resolved"
)

// Cause kinds: what an incident is about.
const (
	KindCondition = "condition" // a rule's condition fires; Name is the rule
	KindStep      = "step"      // a step FAILED or has errors; Name is the step
	KindProject   = "project"   // the project FAILED with no step to blame; Name is FAILED
	KindPoll      = "poll"      // the project's polls fail; Name is empty
)

// Cause is what an incident is about; with the project it is the
// incident's key.
type Cause struct {
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`
}

// Key is the cause as one string: condition:RULE, step:STEP,
// project:FAILED, poll.
func (c Cause) Key() string {
	if c.Name == "" {
		return c.Kind
	}
	return c.Kind + ":" + c.Name
}

// ParseCause reads a Key back.
func ParseCause(key string) Cause {
	kind, name, _ := strings.Cut(key, ":")
	return Cause{Kind: kind, Name: name}
}

// Error is the last error an incident saw: a step's error with OMS's
// reason and proposal, or a poll's error.
type Error struct {
	Code     string `json:"code,omitempty"`
	Message  string `json:"message,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Proposal string `json:"proposal,omitempty"`
}

// Ack says who took an incident (acknowledged or resolved it by hand),
// when, and what they said.
type Ack struct {
	By      string    `json:"by"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// maxEvents bounds the event ids an incident keeps: a flapping step over
// days must not grow its record without end. The audit trail has them all.
const maxEvents = 200

// Incident is one problem of one project, from its start to its end.
type Incident struct {
	ID       string         `json:"id"`
	Source   string         `json:"source"`
	Project  event.Project  `json:"project"`
	Cause    Cause          `json:"cause"`
	State    State          `json:"state"`
	Severity event.Severity `json:"severity"`
	Started  time.Time      `json:"started"`
	Updated  time.Time      `json:"updated"`
	Ended    time.Time      `json:"ended,omitzero"`
	// Reason says why it ended: cleared (its cause went away and stayed
	// away), removed (the project is gone), manual (resolved by a person).
	Reason string `json:"reason,omitempty"`
	Error  *Error `json:"error,omitempty"`
	Ack    *Ack   `json:"ack,omitempty"`
	// Resolver is who resolved it by hand.
	Resolver *Ack `json:"resolver,omitempty"`
	// Events are the ids of the events that belong to it, the newest
	// maxEvents.
	Events []string `json:"events,omitempty"`
	// Clear counts the polls in a row its cause was absent; it resolves
	// at resolve_hold. A relapse sets it back to 0 and counts in Relapses.
	Clear    int `json:"clear,omitempty"`
	Relapses int `json:"relapses,omitempty"`
	// ClearSince is the poll its cause was first absent at, while Clear
	// counts (for Options.ResolveAfter).
	ClearSince time.Time `json:"clear_since,omitzero"`
	// Seq numbers the incident's own events, which makes their ids.
	Seq int `json:"seq"`
	// Announced is when its last event was made; Reminders counts the
	// reminders sent; Escalated says it fired unacknowledged for
	// escalate_after.
	Announced time.Time `json:"announced,omitzero"`
	Reminders int       `json:"reminders,omitempty"`
	Escalated bool      `json:"escalated,omitempty"`
	// Delays are the project's sync delay at its last polls (while
	// OMS reports one), which say where the delay is going (Estimate).
	Delays []Sample `json:"delays,omitempty"`
	// Runbook is the matching runbook's URL or text.
	Runbook string `json:"runbook,omitempty"`
	// Endpoints are the project's source and destination endpoint ids,
	// which correlation may group by.
	Endpoints []string `json:"endpoints,omitempty"`
	// Fleet is the fleet incident it belongs to and FleetKey that fleet's
	// key in the bucket ("" when it belongs to none).
	Fleet    string `json:"fleet,omitempty"`
	FleetKey string `json:"fleet_key,omitempty"`
}

// Open reports whether the incident has not ended.
func (in *Incident) Open() bool { return in.State != Resolved }

// Title says what the incident is about in a few words.
func (in *Incident) Title() string {
	var t string
	switch in.Cause.Kind {
	case KindCondition:
		t = "condition " + in.Cause.Name
	case KindStep:
		t = "step " + in.Cause.Name + " failing"
	case KindProject:
		t = "project FAILED"
	case KindPoll:
		t = "polls failing"
	default:
		t = in.Cause.Key()
	}
	if e := in.Error; e != nil && e.Code != "" {
		t += ": " + e.Code
	}
	return t
}

// Lasted is how long the incident was (or has been, at now) open.
func (in *Incident) Lasted(now time.Time) time.Duration {
	end := now
	if !in.Ended.IsZero() {
		end = in.Ended
	}
	return end.Sub(in.Started).Truncate(time.Second)
}

// newID is an incident's id: stable for (source, project, cause, start),
// short enough to type.
func newID(source, project string, c Cause, started time.Time) string {
	h := sha256.New()
	for _, p := range []string{source, project, c.Key(), started.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "inc-" + hex.EncodeToString(h.Sum(nil)[:5])
}

func (in *Incident) addEvents(ids []string) {
	in.Events = append(in.Events, ids...)
	if n := len(in.Events) - maxEvents; n > 0 {
		in.Events = append(in.Events[:0:0], in.Events[n:]...)
	}
}
