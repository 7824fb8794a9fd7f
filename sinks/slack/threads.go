package slack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/omswatch/omswatch/internal/jsensure"
)

// Thread is a project's thread in a channel: the status card's ts (the
// parent), the channel id Slack answered with, and a hash of the card last
// posted, so it is updated only when it changed.
type Thread struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	Card    string `json:"card"`
}

// ThreadStore keeps threads across restarts. Get returns false for a key
// it does not hold; errors are I/O errors (transient).
type ThreadStore interface {
	Get(ctx context.Context, key string) (Thread, bool, error)
	Put(ctx context.Context, key string, th Thread) error
}

// ThreadKey is the key of a project's thread in a channel.
func ThreadKey(channel, source, project string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(channel)) + "." + enc.EncodeToString([]byte(source)) + "." +
		enc.EncodeToString([]byte(project))
}

// MemThreads is a ThreadStore in memory (tests, and a default that forgets
// threads on restart).
type MemThreads struct {
	mu sync.Mutex
	m  map[string]Thread
}

// Get reads a thread.
func (m *MemThreads) Get(_ context.Context, key string) (Thread, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	th, ok := m.m[key]
	return th, ok, nil
}

// Put stores a thread.
func (m *MemThreads) Put(_ context.Context, key string, th Thread) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]Thread{}
	}
	m.m[key] = th
	return nil
}

// KVThreads is a ThreadStore on a JetStream key-value bucket.
type KVThreads struct{ kv jetstream.KeyValue }

// NewKVThreads creates the bucket (or updates it) and returns the store.
func NewKVThreads(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*KVThreads, error) {
	cfg := jetstream.KeyValueConfig{Bucket: bucket,
		Description: "omswatch: the Slack thread of each project per channel", History: 1,
		Storage: jetstream.FileStorage, Replicas: max(replicas, 1)}
	kv, err := jsensure.Do(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return js.CreateOrUpdateKeyValue(ctx, cfg) })
	if err != nil {
		return nil, fmt.Errorf("slack threads bucket %s: %w", bucket, err)
	}
	return &KVThreads{kv: kv}, nil
}

// Get reads a thread.
func (k *KVThreads) Get(ctx context.Context, key string) (Thread, bool, error) {
	e, err := k.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Thread{}, false, nil
	}
	if err != nil {
		return Thread{}, false, fmt.Errorf("read slack thread: %w", err)
	}
	var th Thread
	if err := json.Unmarshal(e.Value(), &th); err != nil {
		return Thread{}, false, nil // unreadable: start a new thread
	}
	return th, true, nil
}

// Put stores a thread.
func (k *KVThreads) Put(ctx context.Context, key string, th Thread) error {
	b, err := json.Marshal(th)
	if err != nil {
		return err
	}
	if _, err := k.kv.Put(ctx, key, b); err != nil {
		return fmt.Errorf("store slack thread: %w", err)
	}
	return nil
}
