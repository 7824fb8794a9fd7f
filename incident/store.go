package incident

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/jsensure"
)

// ErrConflict is returned by Save when the record changed since it was
// loaded (another writer: an acknowledgement, another replica).
var ErrConflict = errors.New("the incident record changed since it was read")

// KVStore keeps each project's Record under one key of a JetStream
// key-value bucket; every write is a compare-and-set on the key's revision.
type KVStore struct{ kv jetstream.KeyValue }

// KVOptions name the bucket and its replicas.
type KVOptions struct {
	Bucket   string
	Replicas int
}

// NewKVStore creates the bucket (or updates it) and returns the store.
func NewKVStore(ctx context.Context, js jetstream.JetStream, o KVOptions) (*KVStore, error) {
	cfg := jetstream.KeyValueConfig{Bucket: o.Bucket, Description: "omswatch: the incidents of each project",
		History: 1, Storage: jetstream.FileStorage, Replicas: max(o.Replicas, 1)}
	kv, err := jsensure.Do(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return js.CreateOrUpdateKeyValue(ctx, cfg) })
	if err != nil {
		return nil, fmt.Errorf("incidents bucket %s: %w", o.Bucket, err)
	}
	return &KVStore{kv: kv}, nil
}

// OpenKVStore opens an existing bucket and creates nothing (the commands
// that read incidents); a bucket that does not exist means no incident
// was ever recorded there.
func OpenKVStore(ctx context.Context, js jetstream.JetStream, bucket string) (*KVStore, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("no incidents bucket %s: no incident was recorded here (are incidents enabled in this configuration?)", bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("incidents bucket %s: %w", bucket, err)
	}
	return &KVStore{kv: kv}, nil
}

func key(source, project string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(source)) + "." + enc.EncodeToString([]byte(project))
}

// Load reads a project's record and its revision (0: none yet).
func (s *KVStore) Load(ctx context.Context, source, project string) (Record, uint64, error) {
	e, err := s.kv.Get(ctx, key(source, project))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, 0, nil
	}
	if err != nil {
		return Record{}, 0, fmt.Errorf("read incidents of %s: %w", project, err)
	}
	var r Record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Record{}, 0, fmt.Errorf("incidents of %s are unreadable: %w", project, err)
	}
	return r, e.Revision(), nil
}

// Save writes a project's record if it is still at revision rev (0: it
// did not exist) and returns its new revision; else ErrConflict.
func (s *KVStore) Save(ctx context.Context, source, project string, r Record, rev uint64) (uint64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	k := key(source, project)
	var next uint64
	if rev == 0 {
		next, err = s.kv.Create(ctx, k, b)
	} else {
		next, err = s.kv.Update(ctx, k, b, rev)
	}
	var apiErr *jetstream.APIError
	switch {
	case err == nil:
		return next, nil
	case errors.Is(err, jetstream.ErrKeyExists), errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence:
		return 0, fmt.Errorf("save incidents of %s: %w", project, ErrConflict)
	default:
		return 0, fmt.Errorf("save incidents of %s: %w", project, err)
	}
}

// List returns every incident the bucket holds, open and recently
// resolved, each project's in order.
func (s *KVStore) List(ctx context.Context) ([]Incident, error) {
	lister, err := s.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	var names []string
	for k := range lister.Keys() {
		if !isFleetKey(k) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var out []Incident
	for _, k := range names {
		r, err := s.get(ctx, k)
		if err != nil {
			return nil, err
		}
		out = append(out, r.Open...)
		out = append(out, r.Resolved...)
	}
	return out, nil
}

func (s *KVStore) get(ctx context.Context, k string) (Record, error) {
	e, err := s.kv.Get(ctx, k)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, nil
	}
	if err != nil {
		return Record{}, fmt.Errorf("read incidents: %w", err)
	}
	var r Record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Record{}, fmt.Errorf("incident record %s is unreadable: %w", k, err)
	}
	return r, nil
}

// Change applies f to the record that holds incident id and saves it
// (again, on a conflict with the pipeline's own writes), returning the
// event f made. id may be a unique prefix.
func (s *KVStore) Change(ctx context.Context, id string, f func(*Record, string) (event.Event, error)) (event.Event, error) {
	for attempt := 0; ; attempt++ {
		in, err := s.Find(ctx, id)
		if err != nil {
			return event.Event{}, err
		}
		r, rev, err := s.Load(ctx, in.Source, in.Project.ID)
		if err != nil {
			return event.Event{}, err
		}
		ev, err := f(&r, in.ID)
		if err != nil {
			return event.Event{}, err
		}
		_, err = s.Save(ctx, in.Source, in.Project.ID, r, rev)
		if errors.Is(err, ErrConflict) && attempt < 5 {
			continue
		}
		return ev, err
	}
}

// Find returns the incident whose id is id or starts with it (one only).
func (s *KVStore) Find(ctx context.Context, id string) (Incident, error) {
	all, err := s.List(ctx)
	if err != nil {
		return Incident{}, err
	}
	var found []Incident
	for _, in := range all {
		if in.ID == id {
			return in, nil
		}
		if strings.HasPrefix(in.ID, id) {
			found = append(found, in)
		}
	}
	switch len(found) {
	case 0:
		return Incident{}, fmt.Errorf("incident %s: %w", id, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return Incident{}, fmt.Errorf("%q is the start of %d incidents' ids; give more of it", id, len(found))
}
