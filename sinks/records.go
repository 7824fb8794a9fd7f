package sinks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// RecordQuery selects a project's decision records.
type RecordQuery struct {
	// Stream and Prefix are the decision stream's (defaults as the
	// outbox's).
	Stream, Prefix string
	Project        string
	// Kind, if set, reads only records of that kind (RecordCondition,
	// RecordDelivery).
	Kind string
	// Since, if set, skips records stored before it.
	Since time.Time
}

// Records reads a project's decision records, oldest first, with an
// ordered consumer that leaves nothing behind on the server. A store
// without the decision stream (made before records were kept) has none.
func Records(ctx context.Context, js jetstream.JetStream, q RecordQuery) ([]Record, error) {
	if q.Stream == "" {
		q.Stream = DefaultDecisionStream
	}
	if q.Prefix == "" {
		q.Prefix = DefaultDecisionPrefix
	}
	st, err := js.Stream(ctx, q.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("decision records: %w", err)
	}
	kind := ">"
	if q.Kind != "" {
		kind = q.Kind
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{q.Prefix + ".*." + Token(q.Project) + "." + kind}}
	if !q.Since.IsZero() {
		since := q.Since
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(cfg.FilterSubjects[0]))
	if err != nil {
		return nil, fmt.Errorf("decision records: %w", err)
	}
	if len(info.State.Subjects) == 0 {
		return nil, nil // an ordered consumer would wait for the first message
	}
	cons, err := st.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("decision records: %w", err)
	}
	var out []Record
	for {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(300*time.Millisecond))
		if err != nil {
			return nil, fmt.Errorf("decision records: %w", err)
		}
		n, last := 0, false
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return nil, fmt.Errorf("decision records: %w", err)
			}
			var r Record
			if err := json.Unmarshal(m.Data(), &r); err != nil {
				return nil, fmt.Errorf("decision record %d: %w", meta.Sequence.Stream, err)
			}
			if r.Project == q.Project { // tokens of two ids may coincide
				out = append(out, r)
			}
			last = meta.NumPending == 0
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("decision records: %w", err)
		}
		if n == 0 || last {
			return out, nil
		}
	}
}
