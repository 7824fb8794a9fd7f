package sinks

import (
	"time"

	"github.com/omswatch/omswatch/event"
)

// Grouper holds a target's deliveries until they are due and hands them
// out as notifications: a Grouping (group_by, group_wait, rate limits) for
// grouped targets, a Batcher for targets that send each event on its own.
// A worker calls a Grouper from one goroutine only.
type Grouper interface {
	// Add files deliveries made at now.
	Add(now time.Time, ds []Delivery)
	// Due returns the notifications due by now and forgets them.
	Due(now time.Time) []Notification
	// Flush returns every notification still waiting (a drain).
	Flush() []Notification
	// Next returns when the next notification is due, false if none waits.
	Next() (time.Time, bool)
}

// Batcher is the Grouper of machine targets (NATS, webhook, log): no
// waiting, deliveries come out at once, in order, up to Max per
// notification, so that a sink can pipeline a batch (asynchronous
// JetStream publishes) instead of paying a round trip per event.
type Batcher struct {
	// Max bounds the events of one notification (default 256).
	Max     int
	target  string
	pending []Delivery
}

// NewBatcher returns a Batcher for target with batches of up to max events.
func NewBatcher(target string, max int) *Batcher {
	if max <= 0 {
		max = 256
	}
	return &Batcher{Max: max, target: target}
}

// Add queues the deliveries.
func (b *Batcher) Add(_ time.Time, ds []Delivery) { b.pending = append(b.pending, ds...) }

// Due returns everything queued, in batches.
func (b *Batcher) Due(time.Time) []Notification { return b.Flush() }

// Flush returns everything queued, in batches.
func (b *Batcher) Flush() []Notification {
	var out []Notification
	for len(b.pending) > 0 {
		k := min(len(b.pending), b.Max)
		n := Notification{Target: b.target, Route: b.pending[0].Route, Events: make([]event.Event, 0, k)}
		for _, d := range b.pending[:k] {
			n.Events = append(n.Events, d.Event)
		}
		out = append(out, n)
		b.pending = b.pending[k:]
	}
	b.pending = nil
	return out
}

// Next says a batch is due now whenever something is queued.
func (b *Batcher) Next() (time.Time, bool) { return time.Time{}, len(b.pending) > 0 }
