package sinks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/secret"
)

// Target is one destination the dispatcher delivers to.
type Target struct {
	// Name is the target's name, as routes name it.
	Name string
	Sink Sink
	// Grouped targets (chat, and every target with a rate limit) collect
	// their deliveries in a Grouping (DispatcherOptions.Grouping); the
	// others send each event as it comes, in stream order, in batches.
	Grouped bool
	// Grouper, when set, groups the target's deliveries instead (a
	// grouping of one's own: tests hold messages with it); the target
	// acknowledges each message, as grouped targets do.
	Grouper Grouper
}

// DefaultAckWait is the targets' consumers' AckWait unless told otherwise.
const DefaultAckWait = 5 * time.Second

// DispatcherOptions configure delivery.
type DispatcherOptions struct {
	// Outbox is the stream to deliver from. Required.
	Outbox  *Outbox
	Targets []Target
	// MaxAttempts is how many times a notification is tried before it is
	// dead-lettered (default 100). 429s with Retry-After handled inside a
	// sink do not count.
	MaxAttempts int
	// InitialBackoff doubles after each failed attempt up to MaxBackoff
	// (defaults 1s and 5s). The cap is short so that the first attempt after
	// a downstream's outage comes within seconds of its end; MaxAttempts
	// is long so that an outage of some minutes (about 8 with the
	// defaults) is bridged before anything is dead-lettered.
	InitialBackoff, MaxBackoff time.Duration
	// AckWait is how long the server waits for an acknowledgement before it
	// redelivers (default 5s); held and queued messages are kept alive at a
	// third of it. It is what a dispatcher that starts after one that died
	// (kill -9, a lost lease) waits for what that one held: short, so
	// delivery resumes within seconds. MaxAckPending bounds the messages a
	// target holds unacknowledged (default 1000): the rest wait in the
	// stream.
	AckWait       time.Duration
	MaxAckPending int
	// Grouping says how grouped targets group (group_by, group_wait,
	// rate limits).
	Grouping GroupOptions
	// BatchSize bounds a Batcher's notifications (default 256).
	BatchSize int
	// Now is the groupers' clock (default time.Now).
	Now func() time.Time
	// Redactor scrubs secrets out of errors before they are logged or put
	// in a dead letter.
	Redactor *secret.Redactor
	Logger   *slog.Logger
	// Observer, when set, is told every delivery, retry and dead letter.
	Observer Observer
	// NoRecords turns the delivery records (OMSWATCH_DECISIONS) off: the
	// baseline of the benchmarks that measure what recording costs.
	NoRecords bool
	// FallbackTo, when set, is a target that also gets the dead letters of
	// critical events (through the audit stream, like a resend).
	FallbackTo string
	// FailingAfter is how long a target may fail without a success before
	// Health is told (default 5m); Health, when set, is told then and at
	// the target's next success (see TargetHealth).
	FailingAfter time.Duration
	Health       func(ctx context.Context, h TargetHealth)
}

func (o *DispatcherOptions) setDefaults() {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 100
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	o.MaxBackoff = max(o.MaxBackoff, o.InitialBackoff)
	if o.AckWait <= 0 {
		o.AckWait = DefaultAckWait
	}
	if o.MaxAckPending <= 0 {
		// Not more: a Grouping drops a target's oldest group beyond 1,000
		// waiting, which would strand its messages; with at most 1,000
		// messages out there are never more groups.
		o.MaxAckPending = 1000
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FailingAfter <= 0 {
		o.FailingAfter = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

func (o *DispatcherOptions) validate() error {
	var errs []error
	if o.Outbox == nil {
		errs = append(errs, errors.New("an outbox is required"))
	}
	if err := o.Grouping.Validate(); err != nil {
		errs = append(errs, err)
	}
	seen := map[string]bool{}
	for _, t := range o.Targets {
		switch {
		case t.Name == "" || t.Sink == nil:
			errs = append(errs, fmt.Errorf("target %q: a name and a sink are required", t.Name))
		case seen[t.Name]:
			errs = append(errs, fmt.Errorf("target %q is given twice", t.Name))
		}
		seen[t.Name] = true
	}
	return errors.Join(errs...)
}

// Dispatcher delivers the outbox to the targets: one worker and one durable
// consumer per target. Its life is Start, then Drain (deliver what is
// waiting, group_wait cut short) and/or Close.
type Dispatcher struct {
	opts    DispatcherOptions
	obs     Observer
	log     *slog.Logger
	workers []*worker
	// rec stores the delivery records in the background.
	rec    *recorder
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewDispatcher checks the options; nothing is started yet.
func NewDispatcher(o DispatcherOptions) (*Dispatcher, error) {
	o.setDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("dispatcher: %w", err)
	}
	return &Dispatcher{opts: o, obs: o.observer(), log: o.Logger.With("component", "dispatcher")}, nil
}

// grouping reports whether the target's deliveries wait in groups (and
// finish out of stream order).
func (t Target) grouping() bool { return t.Grouped || t.Grouper != nil }

// ConsumerName is the durable consumer of a target.
func ConsumerName(target string) string { return "target_" + Token(target) }

// Start creates or resumes each target's durable consumer and starts its
// worker. A new consumer starts with the events published from now on (a
// target added later does not receive months of history); an existing one
// resumes where it stopped, so events published while omswatch was down
// are delivered. The workers run until ctx ends or Close.
func (d *Dispatcher) Start(ctx context.Context) error {
	wctx, cancel := context.WithCancel(ctx)
	d.cancel = cancel
	if !d.opts.NoRecords {
		d.rec = newRecorder(d.opts.Outbox, d.log)
	}
	for _, t := range d.opts.Targets {
		cons, err := d.consumer(ctx, t)
		if err != nil {
			d.Close()
			return err
		}
		var g Grouper = NewBatcher(t.Name, d.opts.BatchSize)
		switch {
		case t.Grouper != nil:
			g = t.Grouper
		case t.Grouped:
			g = NewGrouping(d.opts.Grouping)
		}
		w := newWorker(d, t, g, cons)
		if err := w.start(wctx, &d.wg); err != nil {
			d.Close()
			return fmt.Errorf("dispatcher: target %s: %w", t.Name, err)
		}
		d.workers = append(d.workers, w)
	}
	return nil
}

// EnsureConsumers creates the durable consumer of each target that has
// none yet, without delivering anything; an existing one is left as it
// is. A new consumer starts with the events published from its creation
// on, so it must exist before the first event is published: with ha the
// replica that polls first need not be the one that holds the dispatcher
// lease, and consumers made only when a dispatcher starts would skip what
// was published before (on a fresh deployment, the first events).
func (d *Dispatcher) EnsureConsumers(ctx context.Context) error {
	ob := d.opts.Outbox
	stream, err := ob.js.Stream(ctx, ob.opts.Stream)
	if err != nil {
		return fmt.Errorf("dispatcher: stream %s: %w", ob.opts.Stream, err)
	}
	for _, t := range d.opts.Targets {
		_, err := stream.Consumer(ctx, ConsumerName(t.Name))
		if err == nil {
			continue
		}
		if !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return fmt.Errorf("dispatcher: consumer %s: %w", ConsumerName(t.Name), err)
		}
		if _, err := d.consumer(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dispatcher) consumer(ctx context.Context, t Target) (jetstream.Consumer, error) {
	target := t.Name
	ob := d.opts.Outbox
	stream, err := ob.js.Stream(ctx, ob.opts.Stream)
	if err != nil {
		return nil, fmt.Errorf("dispatcher: stream %s: %w", ob.opts.Stream, err)
	}
	cfg := jetstream.ConsumerConfig{
		Durable: ConsumerName(target), Description: "omswatch: deliveries to target " + target,
		FilterSubject: ob.opts.Prefix + ".>", AckPolicy: ackPolicy(t),
		AckWait: d.opts.AckWait, MaxAckPending: d.opts.MaxAckPending, MaxDeliver: -1,
		DeliverPolicy: jetstream.DeliverNewPolicy, Replicas: ob.opts.Replicas,
	}
	if c, err := stream.Consumer(ctx, cfg.Durable); err == nil {
		info := c.CachedInfo()
		old := info.Config
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = old.DeliverPolicy, old.OptStartSeq, old.OptStartTime
		// An in-order (AckAll) consumer with messages delivered and not
		// acknowledged was left by a dispatcher that died or lost its lease
		// while sending. The server would redeliver them only after
		// AckWait, and this worker's first acknowledgement of a newer
		// message would acknowledge them unsent: start the consumer again
		// from its acknowledgement floor, so they come first, in order.
		stale := cfg.AckPolicy == jetstream.AckAllPolicy && info.Delivered.Stream > info.AckFloor.Stream
		if old.AckPolicy != cfg.AckPolicy || stale {
			// The server cannot change a consumer's ack policy (the target
			// changed kind), nor rewind one: start a new one where the old
			// one had got to.
			if err := stream.DeleteConsumer(ctx, cfg.Durable); err != nil {
				return nil, fmt.Errorf("dispatcher: consumer %s: %w", cfg.Durable, err)
			}
			cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartSequencePolicy, nil
			cfg.OptStartSeq = info.AckFloor.Stream + 1
		}
	}
	c, err := stream.CreateOrUpdateConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("dispatcher: consumer %s: %w", cfg.Durable, err)
	}
	return c, nil
}

// ackPolicy: a target that sends in stream order (a Batcher) acknowledges
// the last message of each batch for all before it, which is what lets one
// target take 20,000 events/s (an acknowledgement per message costs the
// server about five times more); a grouping target finishes messages out of
// order and acknowledges each.
func ackPolicy(t Target) jetstream.AckPolicy {
	if !t.grouping() {
		return jetstream.AckAllPolicy
	}
	return jetstream.AckExplicitPolicy
}

// Drain delivers everything the stream holds for the targets now, without
// waiting out group_wait, and returns once every target has acknowledged
// (delivered or dead-lettered) all of it, or ctx ends. It is for the end
// of a run: from then on nothing waits out group_wait. It does not stop the
// workers: Close does. What a target could not deliver by then stays in the
// stream for the next start.
func (d *Dispatcher) Drain(ctx context.Context) error {
	ob := d.opts.Outbox
	stream, err := ob.js.Stream(ctx, ob.opts.Stream)
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	// Done means every consumer's ack floor reached what the stream held
	// now: pending counts lag behind a publish, the floor does not lie.
	last := info.State.LastSeq
	for _, w := range d.workers {
		w.setDraining()
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		busy := 0
		for _, w := range d.workers {
			if !w.caughtUp(ctx, last) {
				busy++
			}
		}
		if busy == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drain: %d of %d targets still delivering: %w", busy, len(d.workers), ctx.Err())
		case <-tick.C:
		}
	}
}

// Close stops the workers and waits for them. Messages not yet delivered
// stay unacknowledged and are redelivered after a restart.
func (d *Dispatcher) Close() {
	if d.cancel != nil {
		d.cancel()
	}
	for _, w := range d.workers {
		w.stop()
	}
	d.wg.Wait()
	if d.rec != nil {
		d.rec.close()
	}
}
