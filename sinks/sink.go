package sinks

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
)

// Sink delivers notifications to one kind of downstream (a NATS subject, a
// Slack channel, an HTTP endpoint, stdout).
//
// Send returns nil only once the downstream accepted every event of n: the
// dispatcher then acknowledges them in the outbox. An error wrapped with
// Permanent will not succeed however often it is tried (bad credentials, a
// channel that does not exist, a 4xx): the notification is dead-lettered at
// once. An error wrapped with RetryAfter asks for that delay before the
// next attempt. Any other error is transient and retried with backoff. A
// sink that sends events one by one reports what became of each with a
// *PartialError: the events the downstream refused for good are
// dead-lettered on their own, and the others delivered or retried as its
// Err says. Send must return when ctx ends. Retries call Send again with
// the events not delivered for sure (those refused left out), so a sink
// that already delivered part of them should skip that part where it can
// tell. A sink may tell the decision records what the downstream answered
// for the events it took (a Slack ts, an HTTP status) with n.SetReceipt.
type Sink interface {
	Send(ctx context.Context, n Notification) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, n Notification) error

// Send calls f.
func (f SinkFunc) Send(ctx context.Context, n Notification) error { return f(ctx, n) }

// Notification is what a target is sent at once: the events of one group
// (for chat targets), or a batch of events (for machine targets, which send
// each event on its own).
type Notification struct {
	// Target is the target's name, Route the name of the route that chose
	// it ("" for default_to and unnamed routes).
	Target, Route string
	// Group is the group_by attributes and their values, e.g.
	// project=np_7hq2kd81 (none for a batch).
	Group []GroupLabel
	// Time is when the notification became due: group_wait after its
	// first event, later if the target's rate limit held it back (zero for
	// a batch).
	Time time.Time
	// Events are in stream order, each as the target gets it (a route's
	// severity override applied). They come without their Changes (the
	// patch of a first sight can be a megabyte) unless the severity was
	// overridden: Payload has the whole event.
	Events []event.Event
	// Status is the latest known status of each project of the events, by
	// project id, for status cards; a project may be missing.
	Status map[string]*ProjectStatus
	// Dropped counts earlier notifications to the target that its rate
	// limit discarded.
	Dropped int
	// Opened is when its group took its first event and Due when its
	// group_wait ended (Time is later when the rate limit held it); zero
	// for a batch.
	Opened, Due time.Time

	// payloads are the events' JSON as stored, when the severity was not
	// overridden (saves encoding them again).
	payloads [][]byte
	// receipts collect what the downstream answered (SetReceipt).
	receipts *receipts
}

// GroupString writes the group as name=value pairs, comma-separated.
func (n *Notification) GroupString() string {
	parts := make([]string, len(n.Group))
	for i, g := range n.Group {
		parts[i] = g.Name + "=" + g.Value
	}
	return strings.Join(parts, ",")
}

// Payload returns the CloudEvents JSON of Events[i]: the stored bytes when
// they are the event as delivered, else a fresh encoding.
func (n *Notification) Payload(i int) ([]byte, error) {
	if i < len(n.payloads) && n.payloads[i] != nil {
		return n.payloads[i], nil
	}
	return n.Events[i].JSON()
}

// split returns the events of n whose ids are in ids, and the others, each
// with their stored payloads and n's other fields.
func (n Notification) split(ids map[string]error) (in, out Notification) {
	in, out = n, n
	in.Events, out.Events, in.payloads, out.payloads = nil, nil, nil, nil
	for i, e := range n.Events {
		to := &out
		if _, ok := ids[e.ID]; ok {
			to = &in
		}
		to.Events = append(to.Events, e)
		if n.payloads != nil {
			var p []byte
			if i < len(n.payloads) {
				p = n.payloads[i]
			}
			to.payloads = append(to.payloads, p)
		}
	}
	return in, out
}

// pick returns n with Events[i] alone.
func (n Notification) pick(i int) Notification {
	one := n
	one.Events = n.Events[i : i+1 : i+1]
	one.payloads = nil
	if i < len(n.payloads) {
		one.payloads = n.payloads[i : i+1 : i+1]
	}
	return one
}

// ProjectStatus is what a status card shows about a project, taken from its
// newest snapshot when its events were published.
type ProjectStatus struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	Type       string       `json:"type,omitempty"`
	Status     string       `json:"status"`
	Importance string       `json:"importance,omitempty"`
	Steps      []StepStatus `json:"steps,omitempty"`
	// SyncDelay is the incremental sync delay; SyncDelayKnown says whether
	// OMS reported one.
	SyncDelay      time.Duration `json:"sync_delay,omitempty"`
	SyncDelayKnown bool          `json:"sync_delay_known,omitempty"`
	// ETA is where the delay is going, in words ("catching up, ETA 35
	// min", "falling behind by 3 s/min", "stalled at 5m0s behind"); ""
	// when not known or in sync.
	ETA          string `json:"eta,omitempty"`
	Alarming     bool   `json:"alarming,omitempty"`
	AlarmContent string `json:"alarm_content,omitempty"`
	// LastError is the newest step error's message, with its code.
	LastError string `json:"last_error,omitempty"`
	// Time is when the snapshot was observed.
	Time time.Time `json:"time"`
}

// StepStatus is one step of a project.
type StepStatus struct {
	Name     string `json:"name"`
	Status   string `json:"status"`
	Progress int    `json:"progress"`
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// Permanent marks err as one that will not go away by retrying; nil stays
// nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryAfterError asks for a delay before the next attempt.
type retryAfterError struct {
	err   error
	delay time.Duration
}

func (r *retryAfterError) Error() string { return r.err.Error() }
func (r *retryAfterError) Unwrap() error { return r.err }

// RetryAfter marks err as transient, with the delay the downstream asked
// for (an HTTP Retry-After).
func RetryAfter(err error, delay time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, delay: delay}
}

// RetryDelay returns the delay RetryAfter attached to err, if any.
func RetryDelay(err error) (time.Duration, bool) {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.delay, true
	}
	return 0, false
}

// PartialError is the error of a Send whose events fared differently.
// Failed are the events the downstream refused for good, by event id, each
// with its reason (a webhook's 422 for one type, a subject the template
// cannot make of one event): each is dead-lettered with that reason at
// once and never sent again. Err is what became of the other events: nil
// when the downstream accepted them all, else an error as Send returns it
// (transient, RetryAfter or Permanent) that applies to those not accepted,
// and a retry sends them without the refused ones.
type PartialError struct {
	Failed map[string]error
	Err    error
}

// Partial returns the error of a Send in which the events of failed were
// refused for good and the others fared as err says: nil when nothing
// failed, err alone when no event was refused.
func Partial(failed map[string]error, err error) error {
	if len(failed) == 0 {
		return err
	}
	return &PartialError{Failed: failed, Err: err}
}

// EventOutcomes gathers what happened to each event of a notification a
// target sends one by one (a webhook, Alertmanager, PagerDuty): delivered
// (its receipt), refused for good (it does not stop the others), or a
// transient failure (the batch stops there, for a retry in order).
type EventOutcomes struct {
	refused map[string]error
}

// Refuse notes that event id is refused for good.
func (o *EventOutcomes) Refuse(id string, err error) {
	if o.refused == nil {
		o.refused = map[string]error{}
	}
	o.refused[id] = err
}

// Record notes event id's outcome: err nil is delivered with status, a
// permanent error (while ctx lasts) a refusal. It reports false for a
// transient failure: the caller returns Err(err).
func (o *EventOutcomes) Record(ctx context.Context, n *Notification, id string, status int, err error) bool {
	switch {
	case err == nil:
		n.SetReceipt(Receipt{Status: status}, id)
	case IsPermanent(err) && ctx.Err() == nil:
		o.Refuse(id, err)
	default:
		return false
	}
	return true
}

// Err is the notification's error: the refusals, and err (nil when the
// batch ran to its end, else the transient failure that stopped it).
func (o *EventOutcomes) Err(err error) error { return Partial(o.refused, err) }

// Error names up to three refused events with their reasons, then the
// others' error.
func (p *PartialError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d event(s) refused", len(p.Failed))
	for i, id := range slices.Sorted(maps.Keys(p.Failed)) {
		if i == 3 {
			b.WriteString("; ...")
			break
		}
		fmt.Fprintf(&b, "; %s: %v", id, p.Failed[id])
	}
	if p.Err != nil {
		fmt.Fprintf(&b, "; the others: %v", p.Err)
	}
	return b.String()
}

// Unwrap returns the others' error and every refusal: to a caller that
// does not look at the events one by one, the notification as a whole
// cannot succeed (IsPermanent) when any event was refused.
func (p *PartialError) Unwrap() []error {
	errs := make([]error, 0, 1+len(p.Failed))
	if p.Err != nil {
		errs = append(errs, p.Err)
	}
	for _, id := range slices.Sorted(maps.Keys(p.Failed)) {
		errs = append(errs, p.Failed[id])
	}
	return errs
}
