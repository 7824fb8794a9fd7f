package kvstate

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// OpenSilences opens an existing silence bucket to read it, creating and
// changing nothing; nil when there is no such bucket.
func OpenSilences(ctx context.Context, js jetstream.JetStream, bucket string) (*Silences, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("silences: %w", err)
	}
	return &Silences{kv: kv}, nil
}

// OpenStore opens an existing rules state bucket to read it, creating and
// changing nothing; nil when there is no such bucket (no state was ever
// saved).
func OpenStore(ctx context.Context, js jetstream.JetStream, bucket string) (*Store, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rules state: %w", err)
	}
	return &Store{kv: kv}, nil
}
