package sinks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
)

// Names of the observation log, the audit trail's companion: what each
// poll saw, so that a backtest (replay --from-history) can rebuild every
// snapshot the rules were evaluated on. It has the audit stream's
// retention (MaxAge, MaxBytes, replicas).
const (
	DefaultObservationStream = "OMSWATCH_OBSERVATIONS"
	DefaultObservationPrefix = "omswatch.observations"
)

// ErrTooLarge is the error of a record larger than the server's
// max_payload.
var ErrTooLarge = errors.New("larger than the server's max_payload")

// ObservationSubject is the subject of a project's observation records.
func ObservationSubject(prefix, source, project string) string {
	return prefix + "." + Token(source) + "." + Token(project)
}

// RecordObservation stores one observation record (opaque bytes the
// service encodes) of a project. It returns once the record is stored.
// A retry after a lost acknowledgement may store it twice; readers skip
// the repeat.
func (o *Outbox) RecordObservation(ctx context.Context, source, project string, data []byte) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.opts.Timeout)
		defer cancel()
	}
	m := nats.NewMsg(ObservationSubject(o.opts.ObservationPrefix, source, project))
	if limit := int(o.js.Conn().MaxPayload()) - len(m.Subject) - 64; len(data) > limit {
		return fmt.Errorf("outbox: the observation of %s is %d bytes: %w", project, len(data), ErrTooLarge)
	}
	m.Data = data
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if _, err = o.js.PublishMsg(ctx, m, jetstream.WithExpectStream(o.opts.ObservationStream)); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("outbox: record the observation of %s: %w", project, err)
}

// StoredMsg is one message read back from a stream.
type StoredMsg struct {
	Subject string
	Header  nats.Header
	Data    []byte
	Seq     uint64
	Time    time.Time
}

// ReadQuery selects messages of a stream: those on Subject (wildcards
// allowed) stored at or after Since (zero: all).
type ReadQuery struct {
	Stream, Subject string
	Since           time.Time
}

// ReadMessages calls fn for every message the query selects, oldest first,
// with an ordered consumer that leaves nothing behind on the server. A
// stream that does not exist has no messages.
func ReadMessages(ctx context.Context, js jetstream.JetStream, q ReadQuery, fn func(StoredMsg) error) error {
	return readStream(ctx, js, q.Stream, q.Subject, q.Since, func(m jetstream.Msg, meta *jetstream.MsgMetadata) error {
		return fn(StoredMsg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data(), Seq: meta.Sequence.Stream,
			Time: meta.Timestamp})
	})
}

// StoredDeliveries are the deliveries the rules chose for a stored event
// (its Omswatch-Deliver headers): the targets it was routed to, with the
// route and the severity it was sent with.
func StoredDeliveries(h nats.Header, e event.Event) []Delivery {
	var out []Delivery
	for _, v := range h.Values(HeaderDeliver) {
		parts := strings.SplitN(v, "|", 4)
		if len(parts) != 4 {
			continue
		}
		i, err := strconv.Atoi(parts[1])
		if err != nil {
			continue
		}
		d := Delivery{Event: e, Target: parts[0], Route: parts[3], RouteIndex: i}
		d.Event.Severity = event.Severity(parts[2])
		out = append(out, d)
	}
	return out
}

// LastObservation returns the last observation record of a project, or
// nil when there is none.
func (o *Outbox) LastObservation(ctx context.Context, source, project string) ([]byte, error) {
	st, err := o.observationStream(ctx)
	if err != nil {
		return nil, err
	}
	m, err := st.GetLastMsgForSubject(ctx, ObservationSubject(o.opts.ObservationPrefix, source, project))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: last observation of %s: %w", project, err)
	}
	return m.Data, nil
}

// observationStream is the observation log's stream, looked up once: a
// restarted service reads each project's last record when it first sees
// the project change, and a lookup is a request of its own.
func (o *Outbox) observationStream(ctx context.Context) (jetstream.Stream, error) {
	o.obsMu.Lock()
	defer o.obsMu.Unlock()
	if o.obs != nil {
		return o.obs, nil
	}
	st, err := o.js.Stream(ctx, o.opts.ObservationStream)
	if err != nil {
		return nil, fmt.Errorf("outbox: observation log: %w", err)
	}
	o.obs = st
	return st, nil
}
