package poller

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// OpenKVStore opens an existing snapshot bucket and creates nothing (the
// commands that read the fleet offline); a bucket that does not exist
// means no project was ever polled there.
func OpenKVStore(ctx context.Context, js jetstream.JetStream, bucket string) (*KVStore, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("no snapshot bucket %s: no project was polled here (is this the configuration the service runs with?)", bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot bucket %s: %w", bucket, err)
	}
	return &KVStore{kv: kv}, nil
}

// Each hands fn every record the bucket holds now (deleted ones left out)
// and returns when it has handed the last, or ctx ends: the store read
// once, as a digest of the fleet reads it.
func (s *KVStore) Each(ctx context.Context, fn WatchFunc) error {
	w, err := s.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("read the snapshot store: %w", err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("read the snapshot store: %w", ctx.Err())
		case e, ok := <-w.Updates():
			if !ok || e == nil {
				return nil
			}
			watchEntry(e, nil, fn) // a reading, not the watch the echoes are for
		}
	}
}
