package poller

import (
	"bytes"
	"sync"
)

// Echoes lets a watch of the store (Watch) recognise the records its own
// process wrote, so that it hands over the record that was written rather
// than decode it again: at 10,000 projects, decoding every write the
// console's fleet index follows cost a tenth of the service's CPU. A
// value that comes back unknown (another replica's, or one written twice
// before the watch saw the first) is decoded as before. Share one Echoes
// between the KVStore that writes and the one that watches, the same
// bucket; without a watch, give the writer none (nothing would take the
// records it keeps).
type Echoes struct {
	mu sync.Mutex
	m  map[string]echo // by key, the last write not yet seen come back
}

type echo struct {
	value []byte
	rec   Record
}

// NewEchoes returns an empty Echoes.
func NewEchoes() *Echoes { return &Echoes{m: map[string]echo{}} }

// wrote notes that value, the encoding of rec, is being written at key.
func (e *Echoes) wrote(key string, value []byte, rec Record) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = echo{value: value, rec: rec}
}

// failed forgets a write that did not happen.
func (e *Echoes) failed(key string, value []byte) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if w, ok := e.m[key]; ok && bytes.Equal(w.value, value) {
		delete(e.m, key)
	}
}

// take returns the record written as value at key, if this process wrote
// it (and forgets it).
func (e *Echoes) take(key string, value []byte) (Record, bool) {
	if e == nil {
		return Record{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.m[key]
	if !ok || !bytes.Equal(w.value, value) {
		return Record{}, false
	}
	delete(e.m, key)
	return w.rec, true
}
