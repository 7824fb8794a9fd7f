package kvstate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/internal/jsensure"
	"github.com/omswatch/omswatch/rules"
)

// Options configure a bucket.
type Options struct {
	// Bucket is the bucket's name.
	Bucket string
	// Replicas is the number of replicas in a cluster (default 1).
	Replicas int
}

func open(ctx context.Context, js jetstream.JetStream, o Options, what string) (jetstream.KeyValue, error) {
	if o.Bucket == "" {
		return nil, fmt.Errorf("%s: a bucket name is required", what)
	}
	cfg := jetstream.KeyValueConfig{
		Bucket: o.Bucket, Description: "omswatch: " + what, History: 1,
		Storage: jetstream.FileStorage, Replicas: max(o.Replicas, 1),
	}
	kv, err := jsensure.Do(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return js.CreateOrUpdateKeyValue(ctx, cfg) })
	if err != nil {
		return nil, fmt.Errorf("%s: bucket %s: %w", what, o.Bucket, err)
	}
	return kv, nil
}

// Store is a rules.StateStore on a JetStream key-value bucket: one key per
// (source, project), the value the State as JSON.
type Store struct {
	kv jetstream.KeyValue
}

var _ rules.StateStore = (*Store)(nil)

// NewStore creates the bucket, or updates its settings, and returns the
// store over it.
func NewStore(ctx context.Context, js jetstream.JetStream, o Options) (*Store, error) {
	kv, err := open(ctx, js, o, "the rules' state of each project")
	if err != nil {
		return nil, err
	}
	return &Store{kv: kv}, nil
}

// key is a project's key: source and project id each in unpadded base64url
// (KV keys allow neither ':' nor '/'), joined by a dot.
func key(source, project string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(source)) + "." + enc.EncodeToString([]byte(project))
}

// Load reads a project's state; a project never saved has the zero State.
func (s *Store) Load(ctx context.Context, source, project string) (rules.State, error) {
	e, err := s.kv.Get(ctx, key(source, project))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return rules.State{}, nil
	}
	if err != nil {
		return rules.State{}, fmt.Errorf("load rules state of %s: %w", project, err)
	}
	var st rules.State
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return rules.State{}, fmt.Errorf("load rules state of %s (revision %d): %w", project, e.Revision(), err)
	}
	return st, nil
}

// Save writes a project's state, or deletes it when st is zero.
func (s *Store) Save(ctx context.Context, source, project string, st rules.State) error {
	k := key(source, project)
	if st.IsZero() {
		err := s.kv.Delete(ctx, k)
		if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("delete rules state of %s: %w", project, err)
		}
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("save rules state of %s: %w", project, err)
	}
	if _, err := s.kv.Put(ctx, k, b); err != nil {
		return fmt.Errorf("save rules state of %s: %w", project, err)
	}
	return nil
}

// ProjectKey names a project whose state the store holds.
type ProjectKey struct {
	Source, Project string
}

// Projects lists the projects that have a state (conditions pending or
// firing, once_per keys): what a periodic re-evaluation has to look at.
func (s *Store) Projects(ctx context.Context) ([]ProjectKey, error) {
	keys, err := s.kv.ListKeys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list rules states: %w", err)
	}
	defer func() { _ = keys.Stop() }()
	enc := base64.RawURLEncoding
	var out []ProjectKey
	for k := range keys.Keys() {
		src, proj, ok := strings.Cut(k, ".")
		s, err1 := enc.DecodeString(src)
		p, err2 := enc.DecodeString(proj)
		if !ok || err1 != nil || err2 != nil {
			continue // not a key this store wrote
		}
		out = append(out, ProjectKey{Source: string(s), Project: string(p)})
	}
	return out, nil
}
