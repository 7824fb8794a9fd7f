package sinks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
)

// deliver sends n until the sink takes it, a permanent error or the last
// attempt sends it to the dead letters, or ctx ends (then it stays
// unacknowledged, for redelivery). Events the sink refused on their own
// (a PartialError) are dead-lettered at once, each with its reason, and
// left out of the next attempts; their neighbours go on. The worker's
// other notifications wait meanwhile: a target's order is kept.
func (w *worker) deliver(ctx context.Context, n Notification) {
	id := NotificationID(&n)
	n.receipts = &receipts{}
	for attempt := 1; ; attempt++ {
		err := w.t.Sink.Send(ctx, n)
		if pe := (*PartialError)(nil); errors.As(err, &pe) {
			refused, rest := n.split(pe.Failed)
			allRefused := pe.Err == nil && len(rest.Events) == 0 && len(refused.Events) > 0
			if pe.Err == nil {
				w.recordAttempt(&rest, id, attempt, OutcomeDelivered, "", 0)
				w.delivered(ctx, rest) // first: they are done whatever becomes of the dead letters
				rest.Events = nil
			}
			if !w.refuse(ctx, refused, pe.Failed, attempt) {
				return
			}
			w.recordRefused(refused, pe.Failed, id, attempt)
			if allRefused {
				// A target that refuses everything (a revoked token) is
				// failing, however it words it.
				w.failed(ctx, w.d.opts.Redactor.Redact(fmt.Sprint(pe.Failed[refused.Events[0].ID])))
			}
			n, err = rest, pe.Err
		}
		if err == nil {
			w.recordAttempt(&n, id, attempt, OutcomeDelivered, "", 0)
			w.delivered(ctx, n)
			return
		}
		if ctx.Err() != nil || len(n.Events) == 0 {
			return
		}
		reason := w.d.opts.Redactor.Redact(err.Error())
		w.failed(ctx, reason)
		if IsPermanent(err) || attempt >= w.d.opts.MaxAttempts {
			w.log.Error("delivery failed; dead-lettering", "route", n.Route, "events", len(n.Events),
				"event_id", firstID(n), "attempts", attempt, "permanent", IsPermanent(err), "error", reason)
			if w.deadLetter(ctx, n, reason, attempt) {
				w.recordAttempt(&n, id, attempt, OutcomeDeadLettered, errorText(reason), 0)
				w.ack(n.Events)
				w.d.obs.DeadLettered(w.t.Name, len(n.Events), reason)
			}
			return
		}
		delay := backoff(w.d.opts.InitialBackoff, w.d.opts.MaxBackoff, attempt)
		if d, ok := RetryDelay(err); ok {
			delay = max(d, 0)
		}
		w.log.Warn("delivery failed; retrying", "route", n.Route, "events", len(n.Events), "event_id", firstID(n),
			"attempt", attempt, "retry_in", delay, "error", reason)
		w.d.obs.Retried(w.t.Name, len(n.Events))
		w.recordAttempt(&n, id, attempt, OutcomeRetrying, errorText(reason), delay)
		if !sleep(ctx, w.quit, delay) {
			return
		}
	}
}

// delivered acknowledges the events of n the downstream accepted.
func (w *worker) delivered(ctx context.Context, n Notification) {
	if len(n.Events) == 0 {
		return
	}
	w.logRequeued(n.Events)
	w.ack(n.Events)
	w.d.obs.Delivered(w.t.Name, n.Events)
	w.succeeded(ctx)
}

// logRequeued says which of the delivered events were resends or
// fallbacks, so whoever ran `deadletter resend` sees them arrive.
func (w *worker) logRequeued(events []event.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range events {
		if h, ok := w.held[e.ID]; ok && h.requeued != "" {
			w.log.Info("delivered the "+h.requeued, "event_id", e.ID, "project", e.Subject, "type", e.Type)
		}
	}
}

// refuse dead-letters each event of n with its own reason from failed and
// acknowledges it; false if ctx ended first (the rest stay unacknowledged).
func (w *worker) refuse(ctx context.Context, n Notification, failed map[string]error, attempt int) bool {
	for i, e := range n.Events {
		reason := "refused by the target"
		if err := failed[e.ID]; err != nil {
			reason = w.d.opts.Redactor.Redact(err.Error())
		}
		one := n.pick(i)
		if !w.deadLetter(ctx, one, reason, attempt) {
			return false
		}
		w.ack(one.Events)
		w.d.obs.DeadLettered(w.t.Name, 1, reason)
	}
	return true
}

// firstID names a notification in logs by its first event.
func firstID(n Notification) string {
	if len(n.Events) == 0 {
		return ""
	}
	return n.Events[0].ID
}

// backoff is initial * 2^(attempt-1), capped.
func backoff(initial, maxDelay time.Duration, attempt int) time.Duration {
	d := initial
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	return min(d, maxDelay)
}

// sleep waits d; false if ctx ended or quit closed first.
func sleep(ctx context.Context, quit <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-quit:
		return false
	case <-t.C:
		return true
	}
}

// ack acknowledges the messages of events and forgets them: each one, or
// in ordered mode the end of the finished prefix.
func (w *worker) ack(events []event.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var last jetstream.Msg
	for _, e := range events {
		h, ok := w.held[e.ID]
		if !ok {
			continue
		}
		if w.order != nil {
			if m := w.order.finish(h.seq); m != nil {
				last = m
			}
		} else {
			_ = h.msg.Ack()
		}
		w.acked.add(h.seq)
		delete(w.held, e.ID)
		w.queued.Add(-1)
	}
	if last != nil {
		_ = last.Ack()
	}
}

// skip finishes a message the target has nothing to do with (locked).
func (w *worker) skip(seq uint64, m jetstream.Msg) {
	w.queued.Add(-1)
	w.acked.add(seq)
	if w.order == nil {
		_ = m.Ack()
		return
	}
	if m := w.order.finish(seq); m != nil {
		_ = m.Ack()
	}
}

// deadLetter stores each event of n on the dead-letter subject of the
// target with why it failed, logs it with the id `omswatch deadletter
// resend` takes, and sends a critical event on to the fallback target;
// true once all are stored. Storing is retried (the dead-letter stream is
// on the same server as the outbox, so it is down only when the outbox is).
func (w *worker) deadLetter(ctx context.Context, n Notification, reason string, attempts int) bool {
	ob := w.d.opts.Outbox
	subject := ob.opts.DeadLetterPrefix + "." + Token(w.t.Name)
	for i, e := range n.Events {
		payload, err := n.Payload(i)
		if err != nil {
			w.log.Error("cannot encode a dead letter", "event_id", e.ID, "error", err)
			continue
		}
		held, seq := w.heldMsg(e.ID)
		m := nats.NewMsg(subject)
		m.Data = payload
		id := e.ID + "." + Token(w.t.Name)
		if why := held.Get(HeaderRequeue); why != "" {
			// A resend or a fallback that failed again is a dead letter
			// of its own, not a duplicate of the first.
			id += "." + why + "." + strconv.FormatUint(seq, 10)
			m.Header.Set(HeaderRequeue, why)
			m.Header.Set(HeaderRequeueOf, held.Get(HeaderRequeueOf))
		}
		m.Header.Set(jetstream.MsgIDHeader, id)
		m.Header.Set(HeaderContentType, event.StructuredContentType)
		m.Header.Set(HeaderTarget, w.t.Name)
		m.Header.Set(HeaderRoute, n.Route)
		m.Header.Set(HeaderReason, oneLine(reason))
		m.Header.Set(HeaderAttempts, strconv.Itoa(attempts))
		ack, ok := w.storeDeadLetter(ctx, m, e.ID, ob.opts.DeadLetterStream)
		if !ok {
			return false
		}
		w.log.Error("dead letter stored; resend it once the cause is fixed (omswatch deadletter resend ID)", "dead_letter", ack.Sequence,
			"event_id", e.ID, "project", e.Subject, "type", e.Type, "severity", e.Severity, "route", n.Route, "attempts", attempts, "error", reason)
		w.fallback(ctx, e, payload, held, n.Route, ack.Sequence)
	}
	return true
}

// heldMsg returns the headers and stream sequence of the message of the
// event the worker holds (nil and 0 if none).
func (w *worker) heldMsg(id string) (nats.Header, uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if h, ok := w.held[id]; ok {
		return h.msg.Headers(), h.seq
	}
	return nil, 0
}

// storeDeadLetter publishes m into stream until it is stored; false if ctx
// ended or the worker stopped first.
func (w *worker) storeDeadLetter(ctx context.Context, m *nats.Msg, eventID, stream string) (*jetstream.PubAck, bool) {
	for try := 1; ; try++ {
		ack, err := w.d.opts.Outbox.js.PublishMsg(ctx, m, jetstream.WithExpectStream(stream))
		if err == nil {
			return ack, true
		}
		if errors.Is(err, context.Canceled) || !sleep(ctx, w.quit, backoff(w.d.opts.InitialBackoff, w.d.opts.MaxBackoff, try)) {
			return nil, false
		}
		w.log.Warn("cannot store a dead letter; retrying", "event_id", eventID, "error", fmt.Sprint(err))
	}
}

// fallback sends the dead letter of a critical event to the fallback
// target too (DispatcherOptions.FallbackTo), through the audit stream like
// a resend: unless this is the fallback target, or the event goes there
// anyway.
func (w *worker) fallback(ctx context.Context, e event.Event, payload []byte, held nats.Header, route string, dl uint64) {
	to := w.d.opts.FallbackTo
	if to == "" || to == w.t.Name || e.Severity != event.Critical || addressed(held, to) {
		return
	}
	ob := w.d.opts.Outbox
	m := requeueMsg(ob.opts.Prefix, payload, e, to, route, RequeueFallback, dl, "fallback."+strconv.FormatUint(dl, 10))
	if _, ok := w.storeDeadLetter(ctx, m, e.ID, ob.opts.Stream); ok {
		w.log.Warn("a critical event could not be delivered; it goes to the fallback target", "event_id", e.ID,
			"project", e.Subject, "fallback", to, "dead_letter", dl)
	}
}

// oneLine keeps a reason fit for a header value.
func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	if len(b) > 1024 {
		b = append(b[:1021], "..."...)
	}
	return string(b)
}
