package sinks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
)

// HistoryQuery selects a project's events in the audit stream.
type HistoryQuery struct {
	// Stream and Prefix are the audit stream's (defaults as the outbox's).
	Stream, Prefix string
	// Project is the project id.
	Project string
	// Since, if set, skips events stored before it.
	Since time.Time
}

// StoredEvent is an event as the audit stream holds it.
type StoredEvent struct {
	// Raw is the stored CloudEvents JSON, Event its decoding.
	Raw   []byte
	Event event.Event
	// Seq is the stream sequence.
	Seq uint64
	// Header is the stored message's (RoutingOf reads what the rules
	// decided).
	Header nats.Header
}

// HasHistory reports whether the audit stream holds any event of the
// project, whatever its time.
func HasHistory(ctx context.Context, js jetstream.JetStream, q HistoryQuery) (bool, error) {
	if q.Stream == "" {
		q.Stream = DefaultStream
	}
	if q.Prefix == "" {
		q.Prefix = DefaultPrefix
	}
	st, err := js.Stream(ctx, q.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("history: %w", err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(q.Prefix+".*."+Token(q.Project)+".>"))
	if err != nil {
		return false, fmt.Errorf("history: %w", err)
	}
	return len(info.State.Subjects) > 0, nil
}

// History reads a project's events from the audit stream, oldest first,
// with an ordered consumer that leaves nothing behind on the server.
func History(ctx context.Context, js jetstream.JetStream, q HistoryQuery) ([]StoredEvent, error) {
	if q.Stream == "" {
		q.Stream = DefaultStream
	}
	if q.Prefix == "" {
		q.Prefix = DefaultPrefix
	}
	var out []StoredEvent
	err := readStream(ctx, js, q.Stream, q.Prefix+".*."+Token(q.Project)+".>", q.Since, func(m jetstream.Msg, meta *jetstream.MsgMetadata) error {
		e, err := DecodeEvent(m.Data())
		if err != nil {
			return fmt.Errorf("message %d: %w", meta.Sequence.Stream, err)
		}
		if e.Subject == q.Project { // tokens of two ids may coincide
			out = append(out, StoredEvent{Raw: m.Data(), Event: e, Seq: meta.Sequence.Stream, Header: m.Headers()})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return out, nil
}
