package sinks

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
)

// Observer is told what becomes of each notification, for metrics
// (cmd/omswatch implements it with Prometheus; sinks imports no metrics
// library). Its methods are called from the targets' workers: they must be
// quick and safe for concurrent use.
type Observer interface {
	// Delivered: the target accepted these events (each event's Time is
	// when its change was observed, so now - Time is the latency).
	Delivered(target string, events []event.Event)
	// Retried: a send of that many events failed and will be tried again.
	Retried(target string, events int)
	// DeadLettered: that many events were given up on and stored in the
	// dead-letter stream, for reason (secrets redacted).
	DeadLettered(target string, events int, reason string)
}

// observer returns the configured Observer or one that ignores everything.
func (o *DispatcherOptions) observer() Observer {
	if o.Observer == nil {
		return nopObserver{}
	}
	return o.Observer
}

type nopObserver struct{}

func (nopObserver) Delivered(string, []event.Event)  {}
func (nopObserver) Retried(string, int)              {}
func (nopObserver) DeadLettered(string, int, string) {}

// Backlog is how many messages of the outbox the target has not finished
// yet: those its durable consumer has not been given plus those given and
// not acknowledged. Every target reads the whole stream (it skips, at
// once, what is not addressed to it), so this counts the events ahead of
// it. It reads the server's view, so every replica reports the same
// number, whichever one delivers; 0 for a target that never started.
func (o *Outbox) Backlog(ctx context.Context, target string) (uint64, error) {
	c, err := o.js.Consumer(ctx, o.opts.Stream, ConsumerName(target))
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("backlog of %s: %w", target, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("backlog of %s: %w", target, err)
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}
