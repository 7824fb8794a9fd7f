package oms

import (
	"hash/maphash"
	"slices"
	"strings"
)

// ctx is everything the canonical form of a value depends on besides its
// bytes: where it sits (place, free-form kind, the identity its array is
// keyed by) and how deep (which of its objects the span index covers). Equal
// bytes in equal ctx canonicalise to equal values, equal canonical bytes and
// equal index entries, which is what makes reusing them sound.
type ctx struct {
	place place
	id    identity
	kind  int8 // a Freeform
	depth uint8
}

// memberCtx is the ctx of the value of member key (canonical spelling) of an
// ordinary object in ctx parent: canonMember's choice, made once per member.
func memberCtx(parent ctx, key string) ctx {
	c := ctx{depth: parent.depth + 1}
	if fk := FreeformKind(key); fk != NotFreeform {
		c.kind = int8(fk)
		return c
	}
	c.id, c.place = member(parent.place, key)
	return c
}

// assembles reports whether a container in ctx c is taken apart by the
// reusing parse rather than decoded whole: the objects that hold the big
// parts of a project (the project, TransferMapping, each database) and every
// identified array, whose elements are then remembered one by one.
func assembles(c ctx, first byte) bool {
	if c.id != identNone {
		return first == '['
	}
	return first == '{' && c.kind == int8(NotFreeform) &&
		(c.place == placeProject || c.place == placeMapping || c.place == placeDatabase)
}

// rnode is one value of the response as the reusing parse canonicalised it,
// before its canonical bytes are written (rawwrite.go).
type rnode struct {
	key        string   // its key in the parent: member name or identity key
	val        any      // the canonical value; nil when it is dropped
	kids       []*rnode // its members in key order, when assembled
	hash       uint64   // the memo hash of its bytes, when memo is set
	start, end int32    // its bytes in the response
	from       int32    // the previous snapshot's memo entry it reuses, or -1
	c          ctx
	keyOf      identity // for an identified array's element: the identity key is made of
	memo       bool     // remembered in the new snapshot's memo
	assembled  bool     // built from kids here rather than decoded whole
}

// assembly is how taking a container apart went.
type assembly uint8

const (
	assembled assembly = iota
	asWhole            // not a shape taken apart here: decode it whole
	failed             // not valid JSON: the plain path says why
)

// minMemo is the size from which a container is remembered: below it, the
// memo entry costs about what decoding the value again does.
const minMemo = 16

// rawParse canonicalises one response, reusing what the previous snapshot's
// memo remembers.
type rawParse struct {
	skeleton
	prev  *memo // nil: nothing to reuse
	seed  maphash.Seed
	w     walker
	arena []rnode
	// items holds the members or elements being read, one slice per depth.
	items [][]rawValue
}

// node returns a new node from the arena. Nodes are pointed to, so a full
// chunk is never grown in place: the next one is twice its size (to 1,024
// nodes), which keeps small responses small and big ones few allocations.
func (p *rawParse) node() *rnode {
	if len(p.arena) == cap(p.arena) {
		p.arena = make([]rnode, 0, min(max(2*cap(p.arena), 32), 1024))
	}
	p.arena = p.arena[:len(p.arena)+1]
	return &p.arena[len(p.arena)-1]
}

// scratch returns the empty item slice of depth d.
func (p *rawParse) scratch(d uint8) []rawValue {
	for int(d) >= len(p.items) {
		p.items = append(p.items, nil)
	}
	return p.items[d][:0]
}

// hash is the memo hash of bytes raw in ctx c.
func (p *rawParse) hash(c ctx, raw []byte) uint64 {
	mix := uint64(c.place) | uint64(c.id)<<8 | uint64(uint8(c.kind))<<16 | uint64(c.depth)<<24
	return maphash.Bytes(p.seed, raw) ^ mix*0x9e3779b97f4a7c15
}

// value canonicalises the value v in ctx c: reused from the previous
// snapshot when it remembers the same bytes in the same ctx, else taken
// apart (assembles) or decoded whole. ok is false when the value is not
// valid JSON.
func (p *rawParse) value(v rawValue, c ctx) (n *rnode, ok bool) {
	n = p.node()
	*n = rnode{c: c, start: int32(v.start), end: int32(v.end), from: -1}
	raw := p.b[v.start:v.end]
	if !v.container() {
		return n, p.whole(n, raw)
	}
	if len(raw) >= minMemo {
		n.memo, n.hash = true, p.hash(c, raw)
		if i, hit := p.prev.find(c, n.hash, raw); hit {
			n.from, n.val = i, p.prev.entries[i].val
			return n, true
		}
	}
	how := asWhole
	switch {
	case !assembles(c, raw[0]):
	case c.id != identNone:
		how = p.keyed(n, v)
	default:
		how = p.object(n, v)
	}
	switch how {
	case assembled:
		return n, true
	case failed:
		return n, false
	}
	return n, p.whole(n, raw)
}

// object takes apart an ordinary object: canonMember for each member, then
// the members in key order. Two members that canonicalise to one key are
// left to the walker, whose rules for them need the decoded values.
func (p *rawParse) object(n *rnode, v rawValue) assembly {
	members, ok := p.members(v, p.scratch(n.c.depth))
	p.items[n.c.depth] = members[:0] // keep what the slice grew to
	if !ok {
		return asWhole
	}
	kids := make([]*rnode, 0, len(members))
	for _, m := range members {
		key := PascalKey(strings.TrimSpace(string(p.b[m.keyStart:m.keyEnd])))
		kid, ok := p.value(m, memberCtx(n.c, key))
		if !ok {
			return failed
		}
		kid.key = key
		kids = append(kids, kid)
	}
	return p.assemble(n, kids)
}

// keyed takes apart an identified array: keyArray's keys, every element
// canonicalised (and remembered) on its own. Elements that share a key are
// left to the walker (spreadDuplicates).
func (p *rawParse) keyed(n *rnode, v rawValue) assembly {
	elems, ok := p.elements(v, p.scratch(n.c.depth))
	p.items[n.c.depth] = elems[:0]
	if !ok {
		return asWhole
	}
	ec := ctx{place: n.c.place, depth: n.c.depth + 1}
	kids := make([]*rnode, 0, len(elems))
	for _, e := range elems {
		kid, ok := p.value(e, ec)
		if !ok {
			return failed
		}
		if kid.val == nil {
			continue
		}
		kid.keyOf = n.c.id
		if e := p.prev.entry(kid.from); e != nil && e.keyOf == n.c.id {
			kid.key = e.key // a reused element's key: no lookup into its value
		} else if kid.key = identityKey(kid.val, n.c.id); kid.key == "" {
			kid.key = fallbackPrefix + contentHash(kid.val)
		}
		kids = append(kids, kid)
	}
	return p.assemble(n, kids)
}

// assemble makes n the object of kids: sorted by key, null ones dropped.
// A key met twice sends n to the walker instead.
func (p *rawParse) assemble(n *rnode, kids []*rnode) assembly {
	slices.SortFunc(kids, func(a, b *rnode) int { return strings.Compare(a.key, b.key) })
	for i := 1; i < len(kids); i++ {
		if kids[i].key == kids[i-1].key {
			return asWhole
		}
	}
	kept := kids[:0]
	for _, k := range kids {
		if k.val != nil {
			kept = append(kept, k)
		}
	}
	m := make(map[string]any, len(kept))
	for _, k := range kept {
		m[k.key] = k.val
	}
	n.val, n.kids, n.assembled = m, kept, true
	return assembled
}

// whole decodes raw and canonicalises it with the walker, as the plain path
// does with the same value inside the whole document.
func (p *rawParse) whole(n *rnode, raw []byte) bool {
	v, ok := decodeRaw(raw)
	if !ok {
		return false
	}
	var err error
	if n.c.id != identNone {
		n.val, err = p.w.canonKeyed(v, n.c.id, n.c.place)
	} else {
		n.val, err = p.w.canon(v, n.c.place, Freeform(n.c.kind))
	}
	n.kids, n.assembled = nil, false
	return err == nil
}
