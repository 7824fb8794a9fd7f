package oms

import "github.com/omswatch/omswatch/internal/jsonw"

// rawWriter writes the canonical JSON of a reusing parse's nodes: reused
// values as the previous snapshot's bytes, assembled objects member by
// member, the rest with the encoder. It builds the span index and the new
// memo as it goes, so that both say exactly what a plain parse's would.
type rawWriter struct {
	buf     []byte
	enc     encoder
	entries []memoEntry
	prev    *memo
	// base is the offset of the Data object in the response: memo raw spans
	// are kept relative to it, since the memo keeps only Data's bytes.
	base int32
}

// write appends the canonical JSON of n. A node the memo remembers gets its
// entry before those nested in it (which its reuse copies or its kids
// add), so that an entry's nested entries follow it.
func (w *rawWriter) write(n *rnode) {
	start := len(w.buf)
	slot := -1
	if n.memo {
		slot = len(w.entries)
		w.entries = append(w.entries, memoEntry{})
	}
	switch {
	case n.from >= 0:
		w.reuse(n, start)
	case n.assembled:
		w.object(n)
	default:
		w.enc.depth = int(n.c.depth)
		w.buf = w.enc.append(w.buf, n.val)
	}
	if slot >= 0 {
		w.entries[slot] = memoEntry{hash: n.hash, val: n.val, c: n.c, keyOf: n.keyOf, key: n.key,
			rs: n.start - w.base, re: n.end - w.base,
			js: int32(start), je: int32(len(w.buf)), desc: int32(len(w.entries) - slot - 1)}
	}
}

// reuse copies a value the previous snapshot remembers: its canonical bytes,
// the index entries inside them and the memo entries nested in it, moved to
// where they now are. Index spans are relative, so they are shared.
func (w *rawWriter) reuse(n *rnode, start int) {
	pm := w.prev
	e := pm.entries[n.from]
	w.buf = append(w.buf, pm.json[e.js:e.je]...)
	shift := start - int(e.js)
	i, _ := pm.index.search(int(e.js))
	for _, x := range pm.index[i:] {
		if x.at >= int(e.je) {
			break
		}
		w.enc.index = append(w.enc.index, indexEntry{at: x.at + shift, spans: x.spans})
	}
	rshift, jshift := n.start-w.base-e.rs, int32(shift)
	for _, d := range pm.entries[n.from+1 : n.from+1+e.desc] {
		d.rs, d.re, d.js, d.je = d.rs+rshift, d.re+rshift, d.js+jshift, d.je+jshift
		w.entries = append(w.entries, d)
	}
}

// object writes an assembled object as the encoder would write its map:
// members in key order (kids are sorted), indexed when the encoder indexes.
func (w *rawWriter) object(n *rnode) {
	at := len(w.buf)
	var spans []span
	if indexed(int(n.c.depth), len(n.kids)) {
		spans = make([]span, len(n.kids))
		w.enc.index = append(w.enc.index, indexEntry{at: at, spans: spans})
	}
	w.buf = append(w.buf, '{')
	for i, k := range n.kids {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = jsonw.AppendString(w.buf, k.key)
		w.buf = append(w.buf, ':')
		s := len(w.buf)
		w.write(k)
		if spans != nil {
			spans[i] = span{key: k.key, start: s - at, end: len(w.buf) - at}
		}
	}
	w.buf = append(w.buf, '}')
}
