package oms

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
)

// Delta returns the parts of two canonical snapshots that differ, as two
// canonical trees: recursively through objects present on both sides, only
// the members whose values differ are kept (a member on one side only is
// kept on that side). Any JSON diff of the two results equals the diff of the
// whole trees, at a fraction of the cost when little changed. old may be nil
// (then a is nil and b is cur's whole tree). The results share values with
// the snapshots: do not modify them.
func Delta(old, cur *Snapshot) (a, b map[string]any) {
	if old == nil {
		return nil, cur.Tree()
	}
	return pruneIndexed(old, cur, 0, 0, old.tree, cur.tree)
}

// span is where one member's value lies in a snapshot's canonical JSON,
// relative to the '{' of the object that holds it: relative spans stay
// true when the object is copied elsewhere (the reusing parse copies
// unchanged subtrees), so they are shared rather than rewritten.
type span struct {
	key        string
	start, end int
}

// indexEntry gives the member spans, in key order, of the large object
// whose '{' is at offset at of the canonical JSON.
type indexEntry struct {
	at    int
	spans []span
}

// spanIndex lists the indexed objects of a snapshot in order of offset.
type spanIndex []indexEntry

// spans returns the member spans of the object at offset at, if indexed.
func (x spanIndex) spans(at int) ([]span, bool) {
	i, ok := x.search(at)
	if !ok {
		return nil, false
	}
	return x[i].spans, true
}

// search returns the position of the first entry at or after offset at,
// and whether that entry is at offset at.
func (x spanIndex) search(at int) (int, bool) {
	return slices.BinarySearchFunc(x, at, func(e indexEntry, at int) int { return cmp.Compare(e.at, at) })
}

// indexed says which objects the encoder indexes: the top three levels
// (project, TransferMapping, Databases...) and any object with many members
// (a database's Tables), which is where big documents are big.
func indexed(depth, members int) bool { return depth <= 3 || members >= 32 }

// pruneIndexed is pruneObjects for two objects the snapshots indexed at
// offsets ox and oy: members whose canonical bytes are equal are skipped
// without looking into them.
func pruneIndexed(old, cur *Snapshot, ox, oy int, x, y map[string]any) (map[string]any, map[string]any) {
	xs, xok := old.index.spans(ox)
	ys, yok := cur.index.spans(oy)
	if !xok || !yok {
		return pruneObjects(x, y)
	}
	a, b := map[string]any{}, map[string]any{}
	i, j := 0, 0
	for i < len(xs) || j < len(ys) {
		switch {
		case j == len(ys) || (i < len(xs) && xs[i].key < ys[j].key):
			a[xs[i].key] = x[xs[i].key]
			i++
		case i == len(xs) || ys[j].key < xs[i].key:
			b[ys[j].key] = y[ys[j].key]
			j++
		default:
			sx, sy, k := xs[i], ys[j], xs[i].key
			i, j = i+1, j+1
			if bytes.Equal(old.json[ox+sx.start:ox+sx.end], cur.json[oy+sy.start:oy+sy.end]) {
				continue
			}
			xm, xobj := x[k].(map[string]any)
			ym, yobj := y[k].(map[string]any)
			if xobj && yobj {
				a[k], b[k] = pruneIndexed(old, cur, ox+sx.start, oy+sy.start, xm, ym)
			} else {
				a[k], b[k] = x[k], y[k]
			}
		}
	}
	return a, b
}

func pruneObjects(x, y map[string]any) (map[string]any, map[string]any) {
	a, b := map[string]any{}, map[string]any{}
	for k, xv := range x {
		yv, ok := y[k]
		if !ok {
			a[k] = xv
			continue
		}
		xm, xok := xv.(map[string]any)
		ym, yok := yv.(map[string]any)
		switch {
		case xok && yok:
			if equalTrees(xm, ym) {
				continue
			}
			a[k], b[k] = pruneObjects(xm, ym)
		case !equalTrees(xv, yv):
			a[k], b[k] = xv, yv
		}
	}
	for k, yv := range y {
		if _, ok := x[k]; !ok {
			b[k] = yv
		}
	}
	return a, b
}

// equalTrees reports whether two canonical trees are equal.
func equalTrees(x, y any) bool {
	switch xt := x.(type) {
	case map[string]any:
		yt, ok := y.(map[string]any)
		if !ok || len(xt) != len(yt) {
			return false
		}
		for k, xv := range xt {
			yv, ok := yt[k]
			if !ok || !equalTrees(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		yt, ok := y.([]any)
		if !ok || len(xt) != len(yt) {
			return false
		}
		for i := range xt {
			if !equalTrees(xt[i], yt[i]) {
				return false
			}
		}
		return true
	}
	return scalarEqual(x, y)
}

// scalarEqual compares canonical scalars: strings, json.Number (by their
// text: canonical numbers are kept as sent), booleans and nil.
func scalarEqual(x, y any) bool {
	switch xt := x.(type) {
	case string:
		yt, ok := y.(string)
		return ok && xt == yt
	case json.Number:
		yt, ok := y.(json.Number)
		return ok && xt == yt
	case bool:
		yt, ok := y.(bool)
		return ok && xt == yt
	case nil:
		return y == nil
	}
	return false
}
