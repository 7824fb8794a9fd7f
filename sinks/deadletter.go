package sinks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
)

// A requeued delivery is an event put back into the audit stream for one
// target: a dead letter resent (`omswatch deadletter resend`) or a critical
// event's dead letter sent on to the fallback target. It is a message of
// the audit stream like any other, addressed to its one target
// (HeaderDeliver), so the dispatcher running now, or the next one started,
// delivers it once through the target's durable consumer; and it stays in
// the stream as the record of the resend. Its subject,
// <prefix>._requeue.<target>, has fewer tokens than an event's, so project
// readers (History) never see it as an event of its own.
const (
	// HeaderRequeue says why the message was requeued: RequeueResend or
	// RequeueFallback.
	HeaderRequeue = "Omswatch-Requeue"
	// HeaderRequeueOf names what it was requeued from: the dead letter's
	// sequence in the dead-letter stream.
	HeaderRequeueOf = "Omswatch-Requeue-Of"
	// RequeueResend and RequeueFallback are HeaderRequeue's values.
	RequeueResend   = "resend"
	RequeueFallback = "fallback"
	// requeueToken is the subject token of requeued messages; no target
	// name can be it (names start with a letter or digit).
	requeueToken = "_requeue"
)

// DeadLetterQuery selects dead letters. The stream names default as the
// outbox's.
type DeadLetterQuery struct {
	Stream, Prefix                     string // the audit stream, where resends are recorded
	DeadLetterStream, DeadLetterPrefix string
	// Target, if set, keeps only that target's dead letters.
	Target string
}

func (q *DeadLetterQuery) setDefaults() {
	o := OutboxOptions{Stream: q.Stream, Prefix: q.Prefix, DeadLetterStream: q.DeadLetterStream, DeadLetterPrefix: q.DeadLetterPrefix}
	o.setDefaults()
	q.Stream, q.Prefix, q.DeadLetterStream, q.DeadLetterPrefix = o.Stream, o.Prefix, o.DeadLetterStream, o.DeadLetterPrefix
}

// DeadLetter is an event a target could not take, as the dead-letter
// stream holds it, with what became of it since.
type DeadLetter struct {
	// Seq is its sequence in the dead-letter stream: its id for resend.
	Seq uint64
	// Time is when it was dead-lettered.
	Time time.Time
	// Target and Route are where it was going; Reason why it failed (secrets
	// redacted), after Attempts tries.
	Target, Route, Reason string
	Attempts              int
	// Event is the event as the target was to get it; Raw its JSON.
	Event event.Event
	Raw   []byte
	// Requeue and RequeueOf are set when the failed delivery was itself a
	// resend or a fallback (of dead letter RequeueOf).
	Requeue   string
	RequeueOf uint64
	// Resent are the times it was resent; FallbackTo the target its
	// fallback went to ("" if none).
	Resent     []time.Time
	FallbackTo string
}

// DeadLetters reads the dead letters, oldest first, each with its resends
// and fallback (from the requeued messages of the audit stream). Nothing is
// created or changed; no dead-letter stream is no dead letters.
func DeadLetters(ctx context.Context, js jetstream.JetStream, q DeadLetterQuery) ([]DeadLetter, error) {
	q.setDefaults()
	filter := q.DeadLetterPrefix + ".>"
	if q.Target != "" {
		filter = q.DeadLetterPrefix + "." + Token(q.Target)
	}
	var out []DeadLetter
	at := map[uint64]int{}
	err := readStream(ctx, js, q.DeadLetterStream, filter, time.Time{}, func(m jetstream.Msg, meta *jetstream.MsgMetadata) error {
		h := m.Headers()
		if q.Target != "" && h.Get(HeaderTarget) != q.Target {
			return nil // tokens of two names may coincide
		}
		e, err := DecodeEvent(m.Data())
		if err != nil {
			return fmt.Errorf("dead letter %d: %w", meta.Sequence.Stream, err)
		}
		attempts, _ := strconv.Atoi(h.Get(HeaderAttempts))
		of, _ := strconv.ParseUint(h.Get(HeaderRequeueOf), 10, 64)
		at[meta.Sequence.Stream] = len(out)
		out = append(out, DeadLetter{Seq: meta.Sequence.Stream, Time: meta.Timestamp.UTC(), Target: h.Get(HeaderTarget),
			Route: h.Get(HeaderRoute), Reason: h.Get(HeaderReason), Attempts: attempts, Event: e, Raw: m.Data(),
			Requeue: h.Get(HeaderRequeue), RequeueOf: of})
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	err = readStream(ctx, js, q.Stream, q.Prefix+"."+requeueToken+".>", time.Time{}, func(m jetstream.Msg, meta *jetstream.MsgMetadata) error {
		h := m.Headers()
		of, err := strconv.ParseUint(h.Get(HeaderRequeueOf), 10, 64)
		i, ok := at[of]
		if err != nil || !ok {
			return nil
		}
		switch h.Get(HeaderRequeue) {
		case RequeueResend:
			out[i].Resent = append(out[i].Resent, meta.Timestamp.UTC())
		case RequeueFallback:
			out[i].FallbackTo = requeueTarget(h)
		}
		return nil
	})
	return out, err
}

// requeueTarget is the one target a requeued message is addressed to.
func requeueTarget(h nats.Header) string {
	target, _, _ := strings.Cut(h.Get(HeaderDeliver), "|")
	return target
}

// Resend puts a dead letter back into the audit stream for its target, to
// be delivered once by the dispatcher running now or the next one started,
// and records the resend there (DeadLetter.Resent). A failure then makes a
// new dead letter. Resending the same dead letter twice at once stores it
// once (the message id counts its resends).
func Resend(ctx context.Context, js jetstream.JetStream, q DeadLetterQuery, dl DeadLetter) error {
	q.setDefaults()
	id := "resend." + strconv.FormatUint(dl.Seq, 10) + "." + strconv.Itoa(len(dl.Resent))
	m := requeueMsg(q.Prefix, dl.Raw, dl.Event, dl.Target, dl.Route, RequeueResend, dl.Seq, id)
	if _, err := js.PublishMsg(ctx, m, jetstream.WithExpectStream(q.Stream)); err != nil {
		return fmt.Errorf("resend dead letter %d: %w", dl.Seq, err)
	}
	return nil
}

// requeueMsg is a requeued delivery of e (payload: its JSON as the target
// gets it) to target.
func requeueMsg(prefix string, payload []byte, e event.Event, target, route, why string, of uint64, id string) *nats.Msg {
	m := nats.NewMsg(prefix + "." + requeueToken + "." + Token(target))
	m.Data = payload
	m.Header.Set(jetstream.MsgIDHeader, id)
	m.Header.Set(HeaderContentType, event.StructuredContentType)
	m.Header.Set(HeaderDeliver, encodeDelivery(Delivery{Event: e, Target: target, Route: route, RouteIndex: -1}))
	m.Header.Set(HeaderRequeue, why)
	m.Header.Set(HeaderRequeueOf, strconv.FormatUint(of, 10))
	return m
}

// Latest keeps, of dead letters of one event for one target (the first
// failure, then a resend that failed again...), the newest: resending the
// others too would deliver the event twice.
func Latest(dls []DeadLetter) []DeadLetter {
	newest := map[string]int{}
	for i, dl := range dls {
		newest[dl.Event.ID+"\x00"+dl.Target] = i
	}
	return slices.DeleteFunc(slices.Clone(dls), func(dl DeadLetter) bool {
		return dls[newest[dl.Event.ID+"\x00"+dl.Target]].Seq != dl.Seq
	})
}
