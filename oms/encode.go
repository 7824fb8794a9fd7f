package oms

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/omswatch/omswatch/internal/jsonw"
)

// appendCanonical appends the canonical JSON of a canonical tree: object
// keys sorted bytewise, no insignificant white space, no HTML escaping. It
// writes what encoding/json writes with SetEscapeHTML(false) for the same
// tree, without reflection.
func appendCanonical(buf []byte, v any) []byte {
	e := newEncoder(false)
	defer e.release()
	return e.append(buf, v)
}

// AppendCanonical appends the canonical JSON of v: a canonical tree, a
// value of one, or an RFC 7396 merge patch between two (nulls and all).
func AppendCanonical(buf []byte, v any) []byte { return appendCanonical(buf, v) }

// CanonicalJSON returns the canonical JSON of tree, which must already be
// canonical: a snapshot's tree, or one made from it by replacing values
// with canonical ones (a redacted copy). It spares such a tree the
// canonicalisation Canonicalize would do again; it computes no digest.
func CanonicalJSON(tree map[string]any) []byte {
	return appendCanonical(make([]byte, 0, 4096), tree)
}

// keyValue is one object member, sorted by key before it is written.
type keyValue struct {
	key string
	val any
}

// encoder keeps one scratch slice of members per nesting depth, so sorting
// the keys of thousands of objects allocates only for the first of each
// depth.
type encoder struct {
	scratch [][]keyValue
	// depth is the number of objects around the value being written: a
	// writer of a subtree (the reusing parse) starts it at the subtree's
	// depth, so that the subtree is indexed as in a whole document.
	depth int
	// indexing says whether to collect the member spans of large objects
	// (see spanIndex) in index as they are written.
	indexing bool
	index    spanIndex
	// pooled holds scratch borrowed from scratches (nil: none).
	pooled *scratchSet
}

// scratchSet is an encoder's scratch between two documents. Every
// snapshot made (a change, a list entry's state) sorted the members of its
// objects in scratch of its own: a tenth of what the service allocated.
type scratchSet struct{ members [][]keyValue }

// scratches holds scratch sets between documents, as a sync.Pool does
// for buffers; the collector empties it.
var scratches = sync.Pool{New: func() any { return new(scratchSet) }}

// maxPooledMembers bounds the members a pooled scratch level keeps: an
// object of a hundred thousand members should not stay in memory for the
// next snapshot of ten.
const maxPooledMembers = 4096

// newEncoder returns an encoder with scratch from the pool; release gives
// it back.
func newEncoder(indexing bool) encoder {
	p := scratches.Get().(*scratchSet)
	return encoder{scratch: p.members, indexing: indexing, pooled: p}
}

// release returns the encoder's scratch to the pool; the encoder's index
// stays its own.
func (e *encoder) release() {
	p := e.pooled
	if p == nil {
		return
	}
	for i, m := range e.scratch {
		if cap(m) > maxPooledMembers {
			e.scratch[i] = nil
		}
	}
	p.members, e.scratch, e.pooled = e.scratch, nil, nil
	scratches.Put(p)
}

func (e *encoder) append(buf []byte, v any) []byte {
	switch t := v.(type) {
	case nil:
		return append(buf, "null"...)
	case string:
		return jsonw.AppendString(buf, t)
	case json.Number:
		return append(buf, t...)
	case bool:
		return strconv.AppendBool(buf, t)
	case []any:
		buf = append(buf, '[')
		for i, el := range t {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = e.append(buf, el)
		}
		return append(buf, ']')
	case map[string]any:
		return e.appendObject(buf, t)
	}
	// canon admits nothing else; a value here is a bug, made visible.
	return append(buf, `"!unsupported"`...)
}

func (e *encoder) appendObject(buf []byte, m map[string]any) []byte {
	for e.depth >= len(e.scratch) {
		e.scratch = append(e.scratch, nil)
	}
	members := e.scratch[e.depth][:0]
	for k, v := range m {
		members = append(members, keyValue{k, v})
	}
	sortMembers(members)
	var spans []span
	at := len(buf)
	if e.indexing && indexed(e.depth, len(members)) {
		spans = make([]span, len(members))
		e.index = append(e.index, indexEntry{at: at, spans: spans})
	}
	e.depth++
	buf = append(buf, '{')
	for i, mb := range members {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = jsonw.AppendString(buf, mb.key)
		buf = append(buf, ':')
		start := len(buf)
		buf = e.append(buf, mb.val)
		if spans != nil {
			spans[i] = span{key: mb.key, start: start - at, end: len(buf) - at}
		}
	}
	e.depth--
	clear(members) // drop references so the scratch does not pin the tree
	e.scratch[e.depth] = members
	return append(buf, '}')
}

// sortMembers sorts members by key. Most objects have a handful of members,
// where an insertion sort on plain string comparison is several times
// faster than a generic sort with a comparison function.
func sortMembers(members []keyValue) {
	if len(members) > 16 {
		slices.SortFunc(members, func(a, b keyValue) int { return strings.Compare(a.key, b.key) })
		return
	}
	for i := 1; i < len(members); i++ {
		for j := i; j > 0 && members[j].key < members[j-1].key; j-- {
			members[j], members[j-1] = members[j-1], members[j]
		}
	}
}
