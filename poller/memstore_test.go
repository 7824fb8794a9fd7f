package poller

import (
	"context"
	"sync"
)

// memStore is a Store in memory, for the tests that run inside a
// testing/synctest bubble (where no NATS server can run: its network
// waits are not durably blocking) and for tests about discovery alone.
type memStore struct {
	mu   sync.Mutex
	recs map[string]Record
}

func newMemStore() *memStore { return &memStore{recs: map[string]Record{}} }

func (m *memStore) Get(_ context.Context, source, project string) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[Key(source, project)]
	if !ok {
		return Record{}, ErrNotFound
	}
	return r, nil
}

func (m *memStore) Put(_ context.Context, source, project string, rec Record) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := Key(source, project)
	if m.recs[k].Revision != rec.Revision {
		return 0, ErrConflict
	}
	rec.Revision++
	m.recs[k] = rec
	return rec.Revision, nil
}

func (m *memStore) PutMeta(_ context.Context, source, project string, rec Record) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := Key(source, project)
	cur := m.recs[k]
	if cur.Revision != rec.Revision {
		return 0, ErrConflict
	}
	next := metaOf(cur).withTwoTier(rec).record()
	next.Snapshot, next.Revision = cur.Snapshot, cur.Revision+1
	m.recs[k] = next
	return next.Revision, nil
}

func (m *memStore) Delete(_ context.Context, source, project string, revision uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := Key(source, project)
	if r, ok := m.recs[k]; ok && revision != 0 && r.Revision != revision {
		return ErrConflict
	}
	delete(m.recs, k)
	return nil
}
