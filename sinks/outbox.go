package sinks

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/jsensure"
)

// Names the outbox uses unless told otherwise.
const (
	DefaultStream           = "OMSWATCH_EVENTS"
	DefaultPrefix           = "omswatch.events"
	DefaultDeadLetterStream = "OMSWATCH_DEADLETTER"
	DefaultDeadLetterPrefix = "omswatch.deadletter"
)

// OutboxOptions configure the audit stream and the dead-letter stream.
type OutboxOptions struct {
	// Stream and Prefix name the audit stream and its subjects' first
	// tokens (default OMSWATCH_EVENTS, omswatch.events).
	Stream, Prefix string
	// DeadLetterStream and DeadLetterPrefix name where dead letters go
	// (default OMSWATCH_DEADLETTER, omswatch.deadletter).
	DeadLetterStream, DeadLetterPrefix string
	// ObservationStream and ObservationPrefix name the observation log
	// (default OMSWATCH_OBSERVATIONS, omswatch.observations).
	ObservationStream, ObservationPrefix string
	// DecisionStream and DecisionPrefix name where the decision records
	// go (default OMSWATCH_DECISIONS, omswatch.decisions).
	DecisionStream, DecisionPrefix string
	// MaxAge and MaxBytes bound the streams (MaxAge default 90 days,
	// MaxBytes 0 = no limit).
	MaxAge   time.Duration
	MaxBytes int64
	// DedupWindow is how long an event id is remembered so that a repeat is
	// stored once (default 10 minutes; at most MaxAge).
	DedupWindow time.Duration
	// Replicas of the streams in a cluster (default 1).
	Replicas int
	// Timeout bounds one Publish when its ctx has no deadline (default 10s).
	Timeout time.Duration
	Logger  *slog.Logger
}

func (o *OutboxOptions) setDefaults() {
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.DeadLetterStream == "" {
		o.DeadLetterStream = DefaultDeadLetterStream
	}
	if o.DeadLetterPrefix == "" {
		o.DeadLetterPrefix = DefaultDeadLetterPrefix
	}
	o.ObservationStream = cmp.Or(o.ObservationStream, DefaultObservationStream)
	o.ObservationPrefix = cmp.Or(o.ObservationPrefix, DefaultObservationPrefix)
	if o.DecisionStream == "" {
		o.DecisionStream = DefaultDecisionStream
	}
	if o.DecisionPrefix == "" {
		o.DecisionPrefix = DefaultDecisionPrefix
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 90 * 24 * time.Hour
	}
	if o.DedupWindow <= 0 {
		o.DedupWindow = 10 * time.Minute
	}
	o.Replicas = max(o.Replicas, 1)
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Entry is one event to publish with what the rules decided about it.
type Entry struct {
	Event event.Event
	// Deliveries are the event's targets; none for an event that is only
	// recorded (dropped, muted, routed nowhere).
	Deliveries []Delivery
	// Status is the project's status card data, if known.
	Status *ProjectStatus
	// Routing is what the rules decided, stored with the event (nil: not
	// recorded).
	Routing *Routing
}

// Outbox publishes events into the audit stream. It is safe for concurrent
// use.
type Outbox struct {
	js   jetstream.JetStream
	opts OutboxOptions
	log  *slog.Logger

	obsMu sync.Mutex
	obs   jetstream.Stream // the observation log's, once looked up
}

// NewOutbox creates the audit, dead-letter and decision streams, or brings their
// limits up to date, and returns the outbox.
func NewOutbox(ctx context.Context, js jetstream.JetStream, o OutboxOptions) (*Outbox, error) {
	o.setDefaults()
	if o.DedupWindow > o.MaxAge {
		return nil, fmt.Errorf("outbox: dedup window %s is longer than the retention %s", o.DedupWindow, o.MaxAge)
	}
	maxBytes := o.MaxBytes
	if maxBytes <= 0 {
		maxBytes = -1
	}
	for _, sc := range []jetstream.StreamConfig{
		{Name: o.Stream, Description: "omswatch: the audit trail of events, and the outbox targets deliver from",
			Subjects: []string{o.Prefix + ".>"}, Duplicates: o.DedupWindow},
		{Name: o.DeadLetterStream, Description: "omswatch: events a target could not take, with the reason",
			Subjects: []string{o.DeadLetterPrefix + ".>"}, Duplicates: min(o.DedupWindow, 2*time.Minute)},
		{Name: o.ObservationStream, Description: "omswatch: what each poll saw, to rebuild the snapshots (replay --from-history)",
			Subjects: []string{o.ObservationPrefix + ".>"}, Duplicates: o.DedupWindow},
		{Name: o.DecisionStream, Description: "omswatch: what became of each event: conditions, groups, delivery attempts",
			Subjects: []string{o.DecisionPrefix + ".>"}, Duplicates: min(o.DedupWindow, 2*time.Minute)},
	} {
		sc.MaxAge, sc.MaxBytes, sc.Storage, sc.Replicas = o.MaxAge, maxBytes, jetstream.FileStorage, o.Replicas
		sc.Retention, sc.Discard = jetstream.LimitsPolicy, jetstream.DiscardOld
		if _, err := jsensure.Do(ctx, func(ctx context.Context) (jetstream.Stream, error) { return js.CreateOrUpdateStream(ctx, sc) }); err != nil {
			return nil, fmt.Errorf("outbox: stream %s: %w", sc.Name, err)
		}
	}
	return &Outbox{js: js, opts: o, log: o.Logger.With("component", "outbox")}, nil
}

// Options returns the outbox's settings, defaults filled in.
func (o *Outbox) Options() OutboxOptions { return o.opts }

// Publish stores every entry in the audit stream and returns nil once each
// was acknowledged (stored now, or found a duplicate of one stored within
// the dedup window). Publishes that fail (a timeout while NATS reconnects)
// are tried again with the same Nats-Msg-Id, which makes the retry harmless.
func (o *Outbox) Publish(ctx context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.opts.Timeout)
		defer cancel()
	}
	msgs := make([]*nats.Msg, len(entries))
	statuses := map[*ProjectStatus]string{} // a change's entries share one
	for i := range entries {
		m, err := o.message(&entries[i], statuses)
		if err != nil {
			return err
		}
		msgs[i] = m
	}
	for attempt := 1; ; attempt++ {
		failed, err := o.publishAll(ctx, msgs)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || attempt == 3 {
			return fmt.Errorf("outbox: publish %d of %d events: %w", len(failed), len(msgs), err)
		}
		o.log.Warn("outbox publish failed; retrying with the same message ids", "events", len(failed), "error", err)
		msgs = failed
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
}

// publishAll publishes asynchronously and waits for every ack; it returns
// the messages that failed.
func (o *Outbox) publishAll(ctx context.Context, msgs []*nats.Msg) ([]*nats.Msg, error) {
	futures := make([]jetstream.PubAckFuture, len(msgs))
	var failed []*nats.Msg
	var errs []error
	for i, m := range msgs {
		f, err := o.js.PublishMsgAsync(m, jetstream.WithExpectStream(o.opts.Stream))
		if err != nil {
			failed, errs = append(failed, m), append(errs, err)
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			failed, errs = append(failed, msgs[i]), append(errs, err)
		case <-ctx.Done():
			return msgs[i:], ctx.Err()
		}
	}
	return failed, errors.Join(errs...)
}

// message builds the stored message of an entry. An event larger than the
// server's max_payload (a project of thousands of tables discovered on an
// external server with the default 1 MiB) is stored without its changes,
// with data.changes_omitted counting them: the snapshot itself is in the
// snapshot bucket, and the event stays deliverable.
func (o *Outbox) message(en *Entry, statuses map[*ProjectStatus]string) (*nats.Msg, error) {
	e := en.Event
	m := nats.NewMsg(EventSubject(o.opts.Prefix, e.Source, e.Subject, e.Type))
	m.Header.Set(jetstream.MsgIDHeader, e.ID)
	m.Header.Set(HeaderContentType, event.StructuredContentType)
	for _, d := range en.Deliveries {
		m.Header.Add(HeaderDeliver, encodeDelivery(d))
	}
	if en.Routing != nil {
		b, err := json.Marshal(en.Routing)
		if err != nil {
			return nil, fmt.Errorf("outbox: routing of %s: %w", e.ID, err)
		}
		m.Header.Set(HeaderRouting, string(b))
	}
	if en.Status != nil {
		st, ok := statuses[en.Status]
		if !ok {
			// Strings cut to 1 KiB: a status card has no room for more,
			// and a header carrying OMS's megabytes would not fit.
			b, err := json.Marshal(trimStatus(*en.Status))
			if err != nil {
				return nil, fmt.Errorf("outbox: status of %s: %w", e.Subject, err)
			}
			st = string(b)
			statuses[en.Status] = st
		}
		m.Header.Set(HeaderStatus, st)
	}
	data, err := e.JSON()
	if err != nil {
		return nil, fmt.Errorf("outbox: encode event %s: %w", e.ID, err)
	}
	limit := int(o.js.Conn().MaxPayload()) - headerSize(m.Header) - len(m.Subject) - 64
	if len(data) > limit && len(e.Data.Changes) > 0 {
		e.Data.Fields = maps.Clone(e.Data.Fields)
		if e.Data.Fields == nil {
			e.Data.Fields = map[string]any{}
		}
		e.Data.Fields["changes_omitted"] = len(e.Data.Changes)
		e.Data.Changes = nil
		if data, err = e.JSON(); err != nil {
			return nil, fmt.Errorf("outbox: encode event %s: %w", e.ID, err)
		}
		o.log.Warn("event larger than the server's max_payload: stored without its changes",
			"event_id", e.ID, "project", e.Subject, "type", e.Type, "max_payload", o.js.Conn().MaxPayload())
	}
	if len(data) > limit {
		// Still too big: OMS sent huge strings (a name, an error message).
		// Cut every string of the data to maxTrimmedString, so the project
		// is still watched and its events delivered; the snapshot keeps the
		// full text.
		e.Data.Project = trimProject(e.Data.Project)
		fields := make(map[string]any, len(e.Data.Fields)+1)
		for k, v := range e.Data.Fields {
			fields[k] = trimValue(v)
		}
		fields["truncated"] = true
		e.Data.Fields = fields
		if data, err = e.JSON(); err != nil {
			return nil, fmt.Errorf("outbox: encode event %s: %w", e.ID, err)
		}
		o.log.Warn("event larger than the server's max_payload: stored with its strings cut",
			"event_id", e.ID, "project", e.Subject, "type", e.Type, "max_chars", maxTrimmedString)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("outbox: event %s is %d bytes, over the server's max_payload %d", e.ID, len(data), o.js.Conn().MaxPayload())
	}
	m.Data = data
	return m, nil
}

func headerSize(h nats.Header) int {
	n := 12 // NATS/1.0 line and the final CRLF
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// maxTrimmedString is how many bytes of each string an event over
// max_payload keeps (then "…").
const maxTrimmedString = 1024

// trimString cuts s to maxTrimmedString bytes on a rune boundary.
func trimString(s string) string {
	if len(s) <= maxTrimmedString {
		return s
	}
	cut := maxTrimmedString
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func trimProject(p event.Project) event.Project {
	p.ID, p.Name, p.Type, p.Status = trimString(p.ID), trimString(p.Name), trimString(p.Type), trimString(p.Status)
	p.Importance, p.Owner = trimString(p.Importance), trimString(p.Owner)
	labels := make([]string, len(p.Labels))
	for i, l := range p.Labels {
		labels[i] = trimString(l)
	}
	p.Labels = labels
	return p
}

// trimStatus cuts the strings of a status (for a status card).
func trimStatus(st ProjectStatus) ProjectStatus {
	st.ID, st.Name, st.Type, st.Status = trimString(st.ID), trimString(st.Name), trimString(st.Type), trimString(st.Status)
	st.Importance, st.AlarmContent, st.LastError = trimString(st.Importance), trimString(st.AlarmContent), trimString(st.LastError)
	st.ETA = trimString(st.ETA)
	steps := make([]StepStatus, len(st.Steps))
	for i, sp := range st.Steps {
		sp.Name, sp.Status = trimString(sp.Name), trimString(sp.Status)
		steps[i] = sp
	}
	st.Steps = steps
	return st
}

// trimValue cuts the strings of a data field, into maps and lists.
func trimValue(v any) any {
	switch v := v.(type) {
	case string:
		return trimString(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[trimString(k)] = trimValue(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = trimValue(x)
		}
		return out
	case []string:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = trimString(x)
		}
		return out
	}
	return v
}
