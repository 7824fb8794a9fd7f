package sinks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// emptyFetches is how many fetches in a row may bring nothing while the
// stream still holds what the read has not reached, before the read gives
// up (300 ms each): a loaded server can be slow to start delivering, and
// stopping at the first empty fetch printed a history that ended early.
const emptyFetches = 30

// readStream hands every message of stream on filter (stored at or after
// since, when set) to fn, oldest first, through an ordered consumer that
// leaves nothing behind on the server. It reads up to the last message
// the filter had when it started; a stream that does not exist, or holds
// nothing on filter, holds nothing.
func readStream(ctx context.Context, js jetstream.JetStream, stream, filter string, since time.Time, fn func(jetstream.Msg, *jetstream.MsgMetadata) error) error {
	st, err := js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	last, err := st.GetLastMsgForSubject(ctx, filter)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // an ordered consumer would wait for the first message
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	if !since.IsZero() && last.Time.Before(since) {
		return nil
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}}
	if !since.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	cons, err := st.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	for empty := 0; empty < emptyFetches; {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(300*time.Millisecond))
		if err != nil {
			return fmt.Errorf("stream %s: %w", stream, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("stream %s: %w", stream, err)
			}
			if err := fn(m, meta); err != nil {
				return err
			}
			if meta.Sequence.Stream >= last.Sequence || meta.NumPending == 0 {
				// Done: the batch would wait out its expiry for messages
				// that will not come (300 ms on every read shorter than a
				// batch: a project page reads twice).
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("stream %s: %w", stream, err)
		}
		if n == 0 {
			empty++
		} else {
			empty = 0
		}
		if ctx.Err() != nil {
			return fmt.Errorf("stream %s: %w", stream, ctx.Err())
		}
	}
	return fmt.Errorf("stream %s: the server stopped delivering before message %d, the last one stored on %s; try again", stream, last.Sequence, filter)
}
