package poller

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/omswatch/omswatch/internal/jsensure"
)

// KVStore is the Store on a NATS JetStream key-value bucket: one key per
// (source, project), the value a compressed canonical snapshot with its
// digest, every write a compare-and-set on the key's revision so that two
// writers cannot silently overwrite each other.
type KVStore struct {
	kv     jetstream.KeyValue
	echoes *Echoes
}

// KVOptions configure the bucket.
type KVOptions struct {
	// Bucket is the bucket's name (one per omswatch instance).
	Bucket string
	// Replicas is the number of replicas in a cluster (default 1).
	Replicas int
	// MaxValueSize bounds a value (default: the server's max payload).
	MaxValueSize int32
	// Echoes, shared with a KVStore of the same bucket that watches it,
	// spares that watch decoding what this one writes (nil: none).
	Echoes *Echoes
}

// NewKVStore creates the bucket, or updates its settings, and returns the
// store over it.
func NewKVStore(ctx context.Context, js jetstream.JetStream, o KVOptions) (*KVStore, error) {
	if o.Bucket == "" {
		return nil, errors.New("snapshot store: a bucket name is required")
	}
	cfg := jetstream.KeyValueConfig{
		Bucket:      o.Bucket,
		Description: "omswatch: the last snapshot of each OMS project",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(o.Replicas, 1),
	}
	if o.MaxValueSize > 0 {
		cfg.MaxValueSize = o.MaxValueSize
	}
	kv, err := jsensure.Do(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return js.CreateOrUpdateKeyValue(ctx, cfg) })
	if err != nil {
		return nil, fmt.Errorf("snapshot store: bucket %s: %w", o.Bucket, err)
	}
	return &KVStore{kv: kv, echoes: o.Echoes}, nil
}

// Key is the KV key of a project: the source in unpadded base64url (KV keys
// allow neither ':' nor '/'), a dot, the project id.
func Key(source, project string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(source)) + "." + project
}

// Get reads a project's record.
func (s *KVStore) Get(ctx context.Context, source, project string) (Record, error) {
	e, err := s.kv.Get(ctx, Key(source, project))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, ErrNotFound
	}
	if err != nil {
		return Record{}, fmt.Errorf("load snapshot %s: %w", project, err)
	}
	rec, err := decodeRecord(e.Value())
	if err != nil {
		return Record{}, fmt.Errorf("load snapshot %s (revision %d): %w", project, e.Revision(), err)
	}
	rec.Revision = e.Revision()
	return rec, nil
}

// Put writes a project's record if its revision is still rec.Revision.
func (s *KVStore) Put(ctx context.Context, source, project string, rec Record) (uint64, error) {
	v, err := encodeRecord(rec)
	if err != nil {
		return 0, fmt.Errorf("save snapshot %s: %w", project, err)
	}
	var rev uint64
	key := Key(source, project)
	s.echoes.wrote(key, v, rec)
	if rec.Revision == 0 {
		rev, err = s.kv.Create(ctx, key, v)
	} else {
		rev, err = s.kv.Update(ctx, key, v, rec.Revision)
	}
	if err != nil {
		s.echoes.failed(key, v)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, fmt.Errorf("save snapshot %s at revision %d: %w", project, rec.Revision, ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("save snapshot %s: %w", project, err)
	}
	return rev, nil
}

// PutMeta writes a project's two-tier state if the record's revision is
// still rec.Revision, keeping its snapshot: it reads the stored value and
// writes it back with new metadata, the compressed snapshot copied as it
// is.
func (s *KVStore) PutMeta(ctx context.Context, source, project string, rec Record) (uint64, error) {
	key := Key(source, project)
	if rec.Revision == 0 {
		return s.Put(ctx, source, project, twoTierOf(rec))
	}
	e, err := s.kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return 0, fmt.Errorf("save state of %s at revision %d: the record is gone: %w", project, rec.Revision, ErrConflict)
	case err != nil:
		return 0, fmt.Errorf("save state of %s: %w", project, err)
	case e.Revision() != rec.Revision:
		return 0, fmt.Errorf("save state of %s at revision %d (stored %d): %w", project, rec.Revision, e.Revision(), ErrConflict)
	}
	v, err := withMeta(e.Value(), rec)
	if err != nil {
		return 0, fmt.Errorf("save state of %s (revision %d): %w", project, e.Revision(), err)
	}
	rev, err := s.kv.Update(ctx, key, v, rec.Revision)
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, fmt.Errorf("save state of %s at revision %d: %w", project, rec.Revision, ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("save state of %s: %w", project, err)
	}
	return rev, nil
}

// Delete removes a project's record if its revision is still revision.
func (s *KVStore) Delete(ctx context.Context, source, project string, revision uint64) error {
	var opts []jetstream.KVDeleteOpt
	if revision > 0 {
		opts = append(opts, jetstream.LastRevision(revision))
	}
	err := s.kv.Delete(ctx, Key(source, project), opts...)
	switch {
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists):
		return fmt.Errorf("delete snapshot %s at revision %d: %w", project, revision, ErrConflict)
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("delete snapshot %s: %w", project, err)
	}
	return nil
}
