package oms

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"sync"
)

// ParseSnapshotReusing is ParseSnapshot for a poller that holds the
// previous snapshot of the same project: it gives exactly what ParseSnapshot
// gives for body (the same canonical JSON, digest, tree and errors), faster
// when much of body is byte for byte what prev was parsed from.
//
// Most of a big DescribeProject response (the TransferMapping of thousands
// of tables) is the same from one poll to the next. A snapshot made here
// remembers, for the large values of its response (TransferMapping, each
// database, each table and view, each step, any large top-level member),
// their bytes as received and their canonical value and bytes. A later
// parse finds the values whose bytes it has seen in the same place,
// compares the bytes in full (the hash only finds candidates) and takes
// their canonical value and bytes instead of decoding them again: only
// what changed is decoded. Canonicalisation depends on nothing but a
// value's bytes and its place (see ctx), so what is reused is what would be
// computed.
//
// The snapshots share the reused values: a snapshot's tree is never
// modified, by this package or its users (see Tree). A snapshot made here
// keeps a copy of its response's Data object for the next parse to compare
// with, and nothing of prev. prev may be nil or a snapshot made otherwise;
// then nothing is reused, and the result remembers for the next time.
func ParseSnapshotReusing(body []byte, prev *Snapshot) (*Snapshot, error) {
	if s := parseReusing(body, prev); s != nil {
		return s, nil
	}
	// Not a document the reusing parse reads (an error, an unusual
	// envelope, keys with escapes...): the plain path decides.
	return ParseSnapshot(body)
}

// memo is what a snapshot made by ParseSnapshotReusing remembers of its
// response. It is immutable once made.
type memo struct {
	seed  maphash.Seed
	raw   []byte    // the response's Data object, a copy
	json  []byte    // the snapshot's canonical JSON
	index spanIndex // the snapshot's span index
	// entries are the remembered values, each followed by the entries of
	// the values nested in it.
	entries []memoEntry
	// table finds entries by hash: open addressing, entry index + 1, 0 free.
	table []int32
}

// memoEntry is one remembered value.
type memoEntry struct {
	hash   uint64
	val    any   // its canonical value (shared, never modified)
	rs, re int32 // its bytes in memo.raw
	js, je int32 // its canonical bytes in memo.json
	desc   int32 // the entries nested in it, which follow it
	c      ctx
	// key is the value's key as an element of an identified array keyed
	// by keyOf (identNone: it was not one), kept so that reusing it does
	// not look into the value again (or hash it, for a fallback key).
	keyOf identity
	key   string
}

// entry returns entry i, nil for -1 (nothing reused) or a nil memo.
func (m *memo) entry(i int32) *memoEntry {
	if m == nil || i < 0 {
		return nil
	}
	return &m.entries[i]
}

// find returns the entry of the value whose bytes are raw in ctx c, hashed h.
func (m *memo) find(c ctx, h uint64, raw []byte) (int32, bool) {
	if m == nil {
		return -1, false
	}
	mask := uint64(len(m.table) - 1)
	for j := h & mask; m.table[j] != 0; j = (j + 1) & mask {
		i := m.table[j] - 1
		e := &m.entries[i]
		if e.hash == h && e.c == c && bytes.Equal(m.raw[e.rs:e.re], raw) {
			return i, true
		}
	}
	return -1, false
}

// hashTable indexes entries by hash. Of entries with one hash only the
// first is kept: the same bytes in the same place (two identical tables)
// need one entry, and a true collision only costs a reuse.
func hashTable(entries []memoEntry) []int32 {
	size := 1
	for size < 2*len(entries) {
		size <<= 1
	}
	t := make([]int32, size)
	mask := uint64(size - 1)
	for i := range entries {
		j := entries[i].hash & mask
		for ; t[j] != 0; j = (j + 1) & mask {
			if entries[t[j]-1].hash == entries[i].hash {
				break
			}
		}
		if t[j] == 0 {
			t[j] = int32(i + 1)
		}
	}
	return t
}

// scratchPool keeps the tape and item slices of finished parses: a big
// response needs hundreds of kilobytes of them.
var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

type scratch struct {
	tape  []tapeEntry
	items [][]rawValue
}

// parseReusing is ParseSnapshotReusing's own path. It returns nil whenever
// it is not sure to give what ParseSnapshot gives, errors included.
func parseReusing(body []byte, prev *Snapshot) *Snapshot {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if len(body) == 0 || len(body) >= math.MaxInt32 {
		return nil
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	tape, ok := buildTape(body, sc.tape[:0])
	sc.tape = tape
	if !ok || len(tape) == 0 {
		return nil
	}
	p := &rawParse{skeleton: skeleton{b: body, tape: tape}, w: walker{inPlace: true}, items: sc.items}
	defer func() { sc.items = p.items }()
	if prev != nil && prev.reuse != nil {
		p.prev, p.seed = prev.reuse, prev.reuse.seed
	} else {
		p.seed = maphash.MakeSeed()
	}
	data, ok := p.data()
	if !ok {
		return nil
	}
	root, ok := p.value(data, ctx{place: placeProject})
	if !ok {
		return nil
	}
	if root.from >= 0 { // the whole Data is what prev was parsed from
		return &Snapshot{tree: prev.tree, json: prev.json, digest: prev.digest, index: prev.index, reuse: prev.reuse, view: prev.view}
	}
	tree, ok := root.val.(map[string]any)
	if !ok {
		return nil
	}
	for k := range tree {
		if isEnvelopeKey(k) {
			return nil // refused by canonicalize
		}
	}
	return p.snapshot(root, tree, data)
}

// snapshot writes the canonical JSON of root and makes the snapshot.
func (p *rawParse) snapshot(root *rnode, tree map[string]any, data rawValue) *Snapshot {
	// The canonical JSON is about as long as the previous one plus what the
	// response grew by; without one, about as long as the response.
	rawLen := data.end - data.start
	size, w := rawLen+512, rawWriter{enc: newEncoder(true), prev: p.prev, base: int32(data.start)}
	if pm := p.prev; pm != nil {
		size = max(len(pm.json)+rawLen-len(pm.raw), 0) + rawLen/32 + 512
		w.entries = make([]memoEntry, 0, len(pm.entries)+16)
		w.enc.index = make(spanIndex, 0, len(pm.index)+16)
	}
	w.buf = make([]byte, 0, size)
	w.write(root)
	w.enc.release()
	sum := sha256.Sum256(w.buf)
	m := &memo{seed: p.seed, raw: bytes.Clone(p.b[data.start:data.end]), json: slices.Clip(w.buf),
		index: w.enc.index, entries: w.entries}
	m.table = hashTable(m.entries)
	return &Snapshot{tree: tree, json: m.json, digest: hex.EncodeToString(sum[:]), index: m.index, reuse: m, view: &lazyProject{}}
}

// data finds the project object of the document: the root itself, or the
// Data of an envelope, which is checked as ParseSnapshot checks it (a
// Success:false envelope fails here, and the plain path reports it).
func (p *rawParse) data() (rawValue, bool) {
	b := p.b
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' || p.tape[0].start != int32(i) || skipSpace(b, int(p.tape[0].end)) != len(b) {
		return rawValue{}, false
	}
	root := rawValue{start: i, end: int(p.tape[0].end), tape: 0}
	members, ok := p.members(root, nil)
	if !ok {
		return rawValue{}, false
	}
	keys := make([]string, len(members))
	envelope, data := false, -1
	for j, m := range members {
		keys[j] = PascalKey(strings.TrimSpace(string(b[m.keyStart:m.keyEnd])))
		if isEnvelopeKey(keys[j]) {
			envelope = true
		}
		if keys[j] == "Data" {
			data = j
		}
	}
	if !envelope {
		return root, true
	}
	slices.Sort(keys)
	if data < 0 || b[members[data].start] != '{' || len(slices.Compact(keys)) != len(members) {
		return rawValue{}, false
	}
	// Decode the envelope with an empty Data in place of the project, whose
	// bytes are read apart: envelopeOf sees what it would see but Data.
	d := members[data]
	rest := make([]byte, 0, len(b)-(d.end-d.start)+2)
	rest = append(append(append(rest, b[:d.start]...), "{}"...), b[d.end:]...)
	v, err := decodeJSON(0, rest)
	if err != nil {
		return rawValue{}, false
	}
	if env, ok := v.(map[string]any); !ok || !looksLikeEnvelope(env) {
		return rawValue{}, false
	} else if _, err := envelopeOf(200, env); err != nil {
		return rawValue{}, false
	}
	return d, true
}
