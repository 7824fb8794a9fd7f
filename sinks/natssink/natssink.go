// Package natssink is the NATS target: each event's CloudEvents JSON
// (structured mode) published to a subject made from a template, on core
// NATS or into a JetStream stream with publish acknowledgements.
package natssink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
)

// Sink publishes to NATS. It is safe for concurrent use.
type Sink struct {
	cfg     Config
	subject *template.Template
	nc      *nats.Conn
	js      jetstream.JetStream
}

// New compiles the subject template; nc is the connection to publish on
// (the embedded server's or an external one).
func New(cfg Config, nc *nats.Conn) (*Sink, error) {
	if cfg.Subject.Text == "" {
		cfg.Subject.Text = DefaultSubject
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	t, err := parseSubject(cfg.Subject.Text)
	if err != nil {
		return nil, fmt.Errorf("nats target: subject: %w", err)
	}
	if nc == nil {
		return nil, errors.New("nats target: a connection is required")
	}
	s := &Sink{cfg: cfg, subject: t, nc: nc}
	if cfg.JetStream {
		if s.js, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096)); err != nil {
			return nil, fmt.Errorf("nats target: %w", err)
		}
	}
	return s, nil
}

// RenderSubject renders a subject template for an event as a target would
// (dry runs show it).
func RenderSubject(text string, e event.Event) (string, error) {
	if text == "" {
		text = DefaultSubject
	}
	t, err := parseSubject(text)
	if err != nil {
		return "", fmt.Errorf("subject: %w", err)
	}
	return (&Sink{cfg: Config{Subject: setting.Template{Text: text}}, subject: t}).Subject(e)
}

// parseSubject compiles a subject template.
func parseSubject(text string) (*template.Template, error) {
	return template.New("subject").Option("missingkey=zero").Parse(text)
}

// render executes a subject template for an event, every value from OMS
// made a token.
func render(t *template.Template, e event.Event) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, sinks.NewTemplateData(e, sinks.Token)); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// Subject renders the subject of an event; an error is permanent (the
// template cannot make a valid subject of this event).
func (s *Sink) Subject(e event.Event) (string, error) {
	if s.cfg.Subject.Text == DefaultSubject {
		// The default, without a template run: most targets use it and a
		// busy one renders 20,000 subjects a second.
		return "oms.events." + sinks.Token(e.Source) + "." + sinks.Token(e.Data.Project.ID) + "." + e.Type, nil
	}
	subj, err := render(s.subject, e)
	if err != nil {
		return "", sinks.Permanent(fmt.Errorf("subject of event %s: %w", e.ID, err))
	}
	if !sinks.ValidSubject(subj) {
		return "", sinks.Permanent(fmt.Errorf("subject %q of event %s is not a valid subject", subj, e.ID))
	}
	return subj, nil
}

// Send publishes every event of n, each with Content-Type
// application/cloudevents+json and Nats-Msg-Id = its id, and returns once
// the server took them all (JetStream: acknowledged; core: flushed). An
// event that cannot be published (its subject does not render valid, it is
// over max_payload) does not hold the others back: it is reported in a
// sinks.PartialError.
func (s *Sink) Send(ctx context.Context, n sinks.Notification) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
	}
	refused := map[string]error{}
	msgs := make([]*nats.Msg, 0, len(n.Events))
	ids := make([]string, 0, len(n.Events))
	for i, e := range n.Events {
		subj, err := s.Subject(e)
		if err != nil {
			refused[e.ID] = err
			continue
		}
		data, err := n.Payload(i)
		if err != nil {
			refused[e.ID] = sinks.Permanent(fmt.Errorf("encode event %s: %w", e.ID, err))
			continue
		}
		m := nats.NewMsg(subj)
		m.Data = data
		m.Header.Set("Content-Type", event.StructuredContentType)
		m.Header.Set(jetstream.MsgIDHeader, e.ID)
		msgs, ids = append(msgs, m), append(ids, e.ID)
	}
	var err error
	if s.js != nil {
		err = s.publishJetStream(ctx, msgs, ids, refused)
	} else {
		err = s.publishCore(ctx, msgs, ids, refused)
	}
	return sinks.Partial(refused, err)
}

// publishCore publishes on core NATS and flushes; a message the client
// refuses on its own (over max_payload, a bad subject) goes to refused.
func (s *Sink) publishCore(ctx context.Context, msgs []*nats.Msg, ids []string, refused map[string]error) error {
	for i, m := range msgs {
		if err := s.nc.PublishMsg(m); err != nil {
			err = classify(fmt.Errorf("publish %s: %w", m.Subject, err))
			if !sinks.IsPermanent(err) {
				return err
			}
			refused[ids[i]] = err
		}
	}
	if err := s.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// publishJetStream publishes asynchronously and waits for every ack. A
// retry of the whole batch is harmless: the stream drops repeated ids. A
// message refused for good goes to refused; any other failure is returned
// (the first), after every ack was waited for.
func (s *Sink) publishJetStream(ctx context.Context, msgs []*nats.Msg, ids []string, refused map[string]error) error {
	var opts []jetstream.PublishOpt
	if s.cfg.Stream != "" {
		opts = append(opts, jetstream.WithExpectStream(s.cfg.Stream))
	}
	futures := make([]jetstream.PubAckFuture, len(msgs))
	var first error
	fail := func(i int, err error) {
		err = classify(fmt.Errorf("publish %s: %w", msgs[i].Subject, err))
		if sinks.IsPermanent(err) {
			refused[ids[i]] = err
		} else if first == nil {
			first = err
		}
	}
	for i, m := range msgs {
		f, err := s.js.PublishMsgAsync(m, opts...)
		if err != nil {
			fail(i, err)
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
			fail(i, err)
		case <-ctx.Done():
			return fmt.Errorf("publish acks: %w", ctx.Err())
		}
	}
	return first
}

// classify marks what retrying cannot fix: a message over max_payload, a
// subject the server refuses.
func classify(err error) error {
	if errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, nats.ErrBadSubject) {
		return sinks.Permanent(err)
	}
	return err
}
