package sinks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
)

// Record stores condition records in the decision stream and returns once
// each was acknowledged: the pipeline calls it with a poll's condition
// changes, after the events. A repeat (the same evaluation after a
// restart) is stored once.
func (o *Outbox) Record(ctx context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.opts.Timeout)
		defer cancel()
	}
	futures := make([]jetstream.PubAckFuture, 0, len(recs))
	for i := range recs {
		r := &recs[i]
		var id string
		if r.Kind == RecordCondition && r.Condition != nil {
			id = conditionMsgID(r)
		}
		m, err := recordMsg(o.opts.DecisionPrefix, r, id)
		if err != nil {
			return fmt.Errorf("decision record of %s: %w", r.Project, err)
		}
		f, err := o.js.PublishMsgAsync(m, jetstream.WithExpectStream(o.opts.DecisionStream))
		if err != nil {
			return fmt.Errorf("decision record of %s: %w", r.Project, err)
		}
		futures = append(futures, f)
	}
	var errs []error
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs = append(errs, err)
		case <-ctx.Done():
			return fmt.Errorf("decision records: %w", ctx.Err())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("decision records: %w", err)
	}
	return nil
}

// recorderQueue bounds the delivery records waiting to be stored; beyond
// it a record is dropped (and counted in a log line), never waited for.
const recorderQueue = 4096

// recorder stores the dispatcher's delivery records in the background, so
// that recording never slows or blocks a delivery: a record that cannot be
// stored is logged and dropped.
type recorder struct {
	js     jetstream.JetStream
	stream string
	prefix string
	log    *slog.Logger
	q      chan *nats.Msg
	done   chan struct{}
	once   sync.Once
	// abandon closes when close has waited long enough: what is left is
	// dropped (and logged), a shutdown is not held up.
	abandon chan struct{}

	dropped atomic.Int64
}

func newRecorder(ob *Outbox, log *slog.Logger) *recorder {
	r := &recorder{js: ob.js, stream: ob.opts.DecisionStream, prefix: ob.opts.DecisionPrefix,
		log: log.With("component", "recorder"), q: make(chan *nats.Msg, recorderQueue), done: make(chan struct{}),
		abandon: make(chan struct{})}
	go r.run()
	return r
}

// add queues a record; it never waits. The workers call it, and only
// before close (the dispatcher closes the recorder once they stopped).
func (r *recorder) add(rec *Record) {
	// No Nats-Msg-Id: an attempt is recorded once, and the server's
	// duplicate tracking would cost more than the record.
	m, err := recordMsg(r.prefix, rec, "")
	if err != nil {
		r.log.Warn("a decision record cannot be encoded; it is not stored", "project", rec.Project, "error", err)
		return
	}
	select {
	case r.q <- m:
	default:
		if n := r.dropped.Add(1); n == 1 || n%1000 == 0 {
			r.log.Warn("decision records are stored more slowly than they come; dropping some", "dropped", n)
		}
	}
}

// run stores queued records in batches, waiting for each batch's acks.
func (r *recorder) run() {
	defer close(r.done)
	batch := make([]*nats.Msg, 0, 256)
	for m := range r.q {
		batch = append(batch[:0], m)
	more:
		for len(batch) < cap(batch) {
			select {
			case m, ok := <-r.q:
				if !ok {
					break more
				}
				batch = append(batch, m)
			default:
				break more
			}
		}
		r.store(batch)
	}
}

func (r *recorder) store(batch []*nats.Msg) {
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	futures := make([]jetstream.PubAckFuture, 0, len(batch))
	var errs []error
	for _, m := range batch {
		f, err := r.js.PublishMsgAsync(m, jetstream.WithExpectStream(r.stream))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		futures = append(futures, f)
	}
wait:
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs = append(errs, err)
		case <-timeout.C:
			errs = append(errs, fmt.Errorf("%d not acknowledged within 10s", len(futures)-i))
			break wait
		case <-r.abandon:
			errs = append(errs, fmt.Errorf("%d not acknowledged when omswatch stopped", len(futures)-i))
			break wait
		}
	}
	if len(errs) > 0 {
		r.log.Warn("decision records could not be stored; delivery goes on without them",
			"batch", len(batch), "error", errs[0])
	}
}

// recorderCloseWait bounds how long close stores what is queued.
const recorderCloseWait = 5 * time.Second

// close stores what is queued, for recorderCloseWait at most, and stops.
func (r *recorder) close() {
	r.once.Do(func() { close(r.q) })
	t := time.NewTimer(recorderCloseWait)
	defer t.Stop()
	select {
	case <-r.done:
	case <-t.C:
		close(r.abandon) // the rest fails at once, and is logged
		<-r.done
	}
}

// attempt records one delivery attempt of n to the worker's target: one
// record per project of its events.
func (w *worker) recordAttempt(n *Notification, id string, attempt int, outcome, reason string, retryIn time.Duration) {
	rec := w.d.rec
	if rec == nil || len(n.Events) == 0 {
		return
	}
	now := w.d.opts.Now()
	receipts := n.receipts.get()
	for _, events := range eventsByProject(n.Events) {
		d := &DeliveryRecord{Target: w.t.Name, Route: n.Route, Notification: id, Group: n.GroupString(),
			Attempt: attempt, Outcome: outcome, Error: reason}
		if retryIn > 0 {
			d.RetryIn = retryIn.String()
		}
		if attempt == 1 {
			d.Opened, d.DroppedBefore = n.Opened, n.Dropped
			if n.Due.After(n.Opened) {
				d.GroupWaitUntil = n.Due
			}
			if n.Time.After(n.Due) && !n.Due.IsZero() {
				d.RateLimitedUntil = n.Time
			}
		}
		for _, e := range events {
			d.Events = append(d.Events, e.ID)
			if rc, ok := receipts[e.ID]; ok {
				if d.Receipts == nil {
					d.Receipts = map[string]Receipt{}
				}
				d.Receipts[e.ID] = rc
			}
		}
		rec.add(&Record{Kind: RecordDelivery, Time: now, Source: events[0].Source, Project: events[0].Subject, Delivery: d})
	}
}

// eventsByProject splits events by project, in order of first appearance.
func eventsByProject(events []event.Event) [][]event.Event {
	if len(events) == 1 {
		return [][]event.Event{events}
	}
	idx := map[string]int{}
	var out [][]event.Event
	for _, e := range events {
		k := e.Source + "\x00" + e.Subject
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], e)
	}
	return out
}

// receipts collects what a sink says the downstream answered.
type receipts struct {
	mu sync.Mutex
	m  map[string]Receipt
}

func (r *receipts) get() map[string]Receipt {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m
}

// SetReceipt tells the record what the downstream answered for the
// events ids of n it took (a Slack ts, an HTTP status). A sink calls it
// from Send; it is optional, and a no-op outside the dispatcher.
func (n *Notification) SetReceipt(r Receipt, ids ...string) {
	rs := n.receipts
	if rs == nil {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.m == nil {
		rs.m = map[string]Receipt{}
	}
	for _, id := range ids {
		rs.m[id] = r
	}
}

// recordRefused records each event a sink refused for good as
// dead-lettered, with its own reason.
func (w *worker) recordRefused(n Notification, failed map[string]error, id string, attempt int) {
	for i, e := range n.Events {
		reason := "refused by the target"
		if err := failed[e.ID]; err != nil {
			reason = w.d.opts.Redactor.Redact(err.Error())
		}
		one := n.pick(i)
		w.recordAttempt(&one, id, attempt, OutcomeDeadLettered, errorText(reason), 0)
	}
}

// errorText is an attempt's error for the record: one line, redacted.
func errorText(s string) string { return strings.TrimSpace(oneLine(s)) }
