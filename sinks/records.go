package sinks

import (
	"context"
	"encoding/json"
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
	kind := ">"
	if q.Kind != "" {
		kind = q.Kind
	}
	var out []Record
	err := readStream(ctx, js, q.Stream, q.Prefix+".*."+Token(q.Project)+"."+kind, q.Since, func(m jetstream.Msg, meta *jetstream.MsgMetadata) error {
		var r Record
		if err := json.Unmarshal(m.Data(), &r); err != nil {
			return fmt.Errorf("decision record %d: %w", meta.Sequence.Stream, err)
		}
		if r.Project == q.Project { // tokens of two ids may coincide
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decision records: %w", err)
	}
	return out, nil
}
