package rules

import "math/bits"

// index finds the routes an event may take without trying them all, like
// an inverted index: for every value of a closed vocabulary (type,
// importance, severity, phase) a bit set of the routes that accept it, and
// for open attributes (project, name, label, step, source, rule) a map from
// the exact values routes name to their bit sets, plus the routes that do
// not constrain the attribute or use globs and regexes, which are verified
// after the lookup. Bit i is route i, so candidates come out in route order.
type index struct {
	words      int
	byType     [][]uint64
	importance [numImportance][]uint64
	severity   [numSeverity][]uint64
	phase      [][]uint64
	open       [numDims]openIndex
}

type openIndex struct {
	used  bool                // some route constrains this attribute
	rest  []uint64            // routes to keep after the lookup
	exact map[string][]uint64 // routes whose every pattern is exact, by value
}

// stackWords is how many words of candidates live on the stack: 1024
// routes. More routes still work, with one allocation per event.
const stackWords = 16

func newIndex(c *catalog, ms []*matcher) (index, [][numDims]bool) {
	x := index{words: (len(ms) + 63) / 64}
	newSet := func() []uint64 { return make([]uint64, x.words) }
	x.byType = make([][]uint64, c.numTypes())
	for i := range x.byType {
		x.byType[i] = newSet()
	}
	x.phase = make([][]uint64, c.numPhases())
	for i := range x.phase {
		x.phase[i] = newSet()
	}
	for i := range x.importance {
		x.importance[i] = newSet()
	}
	for i := range x.severity {
		x.severity[i] = newSet()
	}
	for d := range x.open {
		x.open[d] = openIndex{rest: newSet(), exact: map[string][]uint64{}}
	}
	verify := make([][numDims]bool, len(ms))
	for r, m := range ms {
		w, bit := r/64, uint64(1)<<(r%64)
		setBits(x.byType, m.types, w, bit)
		setBits(x.phase, uint64(m.phases), w, bit)
		setBits(x.importance[:], uint64(m.importance), w, bit)
		setBits(x.severity[:], uint64(m.severity), w, bit)
		for d := range numDims {
			verify[r][d] = x.open[d].add(m.open[d], w, bit, newSet)
		}
	}
	return x, verify
}

// setBits sets route bit (word w) in every set whose value the mask selects.
func setBits(sets [][]uint64, mask uint64, w int, bit uint64) {
	for v := range sets {
		if mask&(1<<v) != 0 {
			sets[v][w] |= bit
		}
	}
}

// add indexes one route's patterns for an attribute and reports whether
// the route must verify them after the lookup.
func (o *openIndex) add(ps patterns, w int, bit uint64, newSet func() []uint64) bool {
	if ps == nil {
		o.rest[w] |= bit
		return false
	}
	o.used = true
	lits, exact := ps.exacts()
	if !exact {
		o.rest[w] |= bit
		return true
	}
	for _, lit := range lits {
		set := o.exact[lit]
		if set == nil {
			set = newSet()
			o.exact[lit] = set
		}
		set[w] |= bit
	}
	return false
}

// candidates fills out (x.words long) with the routes f may match.
func (x *index) candidates(f *facts, out []uint64) {
	t, ph := x.byType[f.typ], x.phase[f.phase]
	im, sv := x.importance[f.importance], x.severity[f.severity]
	for w := range out {
		out[w] = t[w] & ph[w] & im[w] & sv[w]
	}
	for d := range numDims {
		o := &x.open[d]
		if !o.used {
			continue
		}
		if d == dimLabel {
			o.narrowMany(f.labels, out)
			continue
		}
		exact := o.exact[f.value(d)]
		for w := range out {
			keep := o.rest[w]
			if exact != nil {
				keep |= exact[w]
			}
			out[w] &= keep
		}
	}
}

// narrowMany keeps the routes that accept any of values (labels).
func (o *openIndex) narrowMany(values []string, out []uint64) {
	for w := range out {
		keep := o.rest[w]
		for _, v := range values {
			if set := o.exact[v]; set != nil {
				keep |= set[w]
			}
		}
		out[w] &= keep
	}
}

// next returns the first set bit at or after from, or -1.
func next(set []uint64, from int) int {
	for w := from / 64; w < len(set); w++ {
		word := set[w]
		if w == from/64 {
			word &^= (uint64(1) << (from % 64)) - 1
		}
		if word != 0 {
			return w*64 + bits.TrailingZeros64(word)
		}
	}
	return -1
}
