package sinks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names of the decision records unless told otherwise: the stream of what
// became of each event after the rules (conditions, deliveries), and the
// audit message's header with what the rules decided.
const (
	DefaultDecisionStream = "OMSWATCH_DECISIONS"
	DefaultDecisionPrefix = "omswatch.decisions"
	// HeaderRouting is the Routing of the event, as JSON, on its message
	// in the audit stream: stored with the event, in the same publish.
	HeaderRouting = "Omswatch-Routing"
)

// Routing is what the rules decided about one event: the routes that took
// it, those that matched and did not, default_to, and why it is muted.
// It contains no secret: names, positions, matchers and ids.
type Routing struct {
	Routes []RouteRecord `json:"routes,omitempty"`
	// Passed are routes whose matchers took the event but that did not
	// (Action RouteWhenFalse or RouteTaken).
	Passed []RouteRecord `json:"passed,omitempty"`
	// DefaultTo are the targets of default_to, when no route took it.
	DefaultTo []string    `json:"default_to,omitempty"`
	Muted     *MuteRecord `json:"muted,omitempty"`
}

// Actions of a RouteRecord beyond the rules' send, drop and once_per.
const (
	RouteWhenFalse = "when_false" // matched, its when was false
	RouteTaken     = "taken"      // matched, an earlier route took the event first
)

// RouteRecord is one route in a Routing.
type RouteRecord struct {
	Name string `json:"name,omitempty"`
	// Where is the route's file:line.
	Where string `json:"where,omitempty"`
	// Action is send, drop, once_per, "send (once_per failed)",
	// RouteWhenFalse or RouteTaken.
	Action  string   `json:"action"`
	Key     string   `json:"key,omitempty"`
	To      []string `json:"to,omitempty"`
	TakenBy string   `json:"taken_by,omitempty"`
}

// MuteRecord is why an event is muted: a silence, an inhibition (with the
// firing conditions that hold it and their events), or the muting of the
// firing a resolution ends.
type MuteRecord struct {
	Silence          *SilenceRecord `json:"silence,omitempty"`
	Inhibit          string         `json:"inhibit,omitempty"`
	SourceConditions []string       `json:"source_conditions,omitempty"`
	SourceEvents     []string       `json:"source_events,omitempty"`
	Inherited        string         `json:"inherited,omitempty"`
}

// SilenceRecord is the silence that muted an event, as it was then.
type SilenceRecord struct {
	ID        string    `json:"id"`
	Matchers  []string  `json:"matchers"`
	CreatedBy string    `json:"created_by,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
}

// Kinds of Record.
const (
	RecordCondition = "condition"
	RecordDelivery  = "delivery"
)

// Record is one entry of the decision stream, about one project: a
// condition whose state changed, or one delivery attempt of a
// notification's events of the project.
type Record struct {
	Kind      string           `json:"kind"`
	Time      time.Time        `json:"time"`
	Source    string           `json:"source"`
	Project   string           `json:"project"`
	Condition *ConditionRecord `json:"condition,omitempty"`
	Delivery  *DeliveryRecord  `json:"delivery,omitempty"`
}

// ConditionRecord is an evaluation that changed a condition's state.
type ConditionRecord struct {
	Rule string `json:"rule"`
	// From and To are inactive, pending or firing.
	From  string    `json:"from"`
	To    string    `json:"to"`
	Since time.Time `json:"since,omitzero"`
	// For and KeepFiringFor are the condition's, as Go writes durations.
	For           string `json:"for,omitempty"`
	KeepFiringFor string `json:"keep_firing_for,omitempty"`
	Value         any    `json:"value,omitempty"`
	Reason        string `json:"reason,omitempty"`
	// Event is the id of the event it made, if any.
	Event string `json:"event,omitempty"`
}

// Outcomes of a delivery attempt.
const (
	OutcomeDelivered    = "delivered"
	OutcomeRetrying     = "retrying"
	OutcomeDeadLettered = "dead_lettered"
)

// DeliveryRecord is one attempt at sending a notification's events of one
// project to a target.
type DeliveryRecord struct {
	Target string `json:"target"`
	Route  string `json:"route,omitempty"`
	// Notification is the notification's id: the same on every attempt.
	Notification string   `json:"notification"`
	Group        string   `json:"group,omitempty"`
	Events       []string `json:"events"`
	// Opened is when the group took its first event, GroupWaitUntil when
	// group_wait ended, RateLimitedUntil when the target's rate limit let
	// it go (zero when it did not hold it). First attempt only.
	Opened           time.Time `json:"opened,omitzero"`
	GroupWaitUntil   time.Time `json:"group_wait_until,omitzero"`
	RateLimitedUntil time.Time `json:"rate_limited_until,omitzero"`
	// DroppedBefore counts earlier notifications the rate limit dropped.
	DroppedBefore int    `json:"dropped_before,omitempty"`
	Attempt       int    `json:"attempt"`
	Outcome       string `json:"outcome"`
	// Receipts are what the downstream answered, by event id.
	Receipts map[string]Receipt `json:"receipts,omitempty"`
	// Error is why the attempt failed, secrets redacted.
	Error   string `json:"error,omitempty"`
	RetryIn string `json:"retry_in,omitempty"`
}

// Receipt is what a downstream answered for an event it took: a Slack
// message's channel and ts, an HTTP status.
type Receipt struct {
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
	Status  int    `json:"status,omitempty"`
}

// RecordSubject is the decision stream subject of a record:
// <prefix>.<source>.<project>.<kind>.
func RecordSubject(prefix, source, project, kind string) string {
	return prefix + "." + Token(source) + "." + Token(project) + "." + kind
}

// recordMsg encodes a record as its message; msgID makes a repeat (the
// same evaluation after a restart) stored once.
func recordMsg(prefix string, r *Record, msgID string) (*nats.Msg, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	m := nats.NewMsg(RecordSubject(prefix, r.Source, r.Project, r.Kind))
	m.Data = data
	if msgID != "" {
		m.Header.Set(jetstream.MsgIDHeader, msgID)
	}
	return m, nil
}

// conditionMsgID identifies a condition record: a project's rule's step
// at one evaluation.
func conditionMsgID(r *Record) string {
	c := r.Condition
	return shortHash(r.Source, r.Project, c.Rule, c.From, c.To, r.Time.UTC().Format(time.RFC3339Nano))
}

// NotificationID names a notification in the records: a hash of its
// target, route and events, the same on every attempt.
func NotificationID(n *Notification) string {
	parts := make([]string, 0, len(n.Events)+2)
	parts = append(parts, n.Target, n.Route)
	for _, e := range n.Events {
		parts = append(parts, e.ID)
	}
	return shortHash(parts...)
}

func shortHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// RoutingOf reads the Routing an audit message carries; nil when it has
// none (stored before records were kept, or by a replay).
func RoutingOf(h nats.Header) (*Routing, error) {
	raw := h.Get(HeaderRouting)
	if raw == "" {
		return nil, nil
	}
	var r Routing
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return nil, fmt.Errorf("routing header: %w", err)
	}
	return &r, nil
}

// TargetsOf are the targets an audit message was addressed to, in order.
func TargetsOf(h nats.Header) []string {
	var out []string
	for _, v := range h.Values(HeaderDeliver) {
		if t, _, ok := strings.Cut(v, "|"); ok {
			out = append(out, t)
		}
	}
	return out
}
