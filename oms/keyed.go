package oms

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Key formats of identified arrays in a canonical snapshot:
//
//   - Steps: StepKey(Name), e.g. "PRE_CHECK" for PRE-CHECK or pre_check.
//   - Labels: Id. Databases, DatabasesBlack, Tables, Views, SpecificTables,
//     SpecificViews: Name.
//   - Step ExtraInfo.ErrorDetails: Code + "|" + Message, e.g.
//     "CM-RESOAT1111|A system error occurred.".
//   - An element without its identity (no Name, an empty one, not an
//     object): "#" and the first 12 hex digits of the SHA-256 of its
//     canonical JSON, so the key follows the content, not the position.
//   - Elements with the same key: ordered by their canonical JSON, the first
//     keeps the key and the others get "#2", "#3"... appended (skipping keys
//     already taken), so no element is lost and input order does not matter.
const (
	fallbackPrefix = "#"
	dupSeparator   = "#"
)

// canonKeyed canonicalises an identified array into an object keyed by
// identity. An object in its place is taken as already keyed (a canonical
// snapshot read back): its keys are kept, which makes canonicalisation
// idempotent. Any other value is canonicalised as it is.
func (w walker) canonKeyed(v any, id identity, elem place) (any, error) {
	switch t := v.(type) {
	case []any:
		return w.keyArray(t, id, elem)
	case map[string]any:
		return w.canonObject(t, elem, keyedObject)
	}
	return w.canon(v, placePlain, NotFreeform)
}

// keyArray keys the elements of an identified array (see the key formats above).
func (w walker) keyArray(a []any, id identity, elem place) (any, error) {
	out := make(map[string]any, len(a))
	var extra map[string][]any // elements whose key was taken, by key
	for i, e := range a {
		ce, err := w.canon(e, elem, NotFreeform)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		if ce == nil {
			continue
		}
		key := identityKey(ce, id)
		if key == "" {
			key = fallbackPrefix + contentHash(ce)
		}
		if _, taken := out[key]; taken {
			if extra == nil {
				extra = make(map[string][]any)
			}
			extra[key] = append(extra[key], ce)
			continue
		}
		out[key] = ce
	}
	if extra != nil {
		spreadDuplicates(out, extra)
	}
	return out, nil
}

// spreadDuplicates gives every element that shares a key a key of its own,
// independent of the order the elements came in.
func spreadDuplicates(out map[string]any, extra map[string][]any) {
	for _, key := range slices.Sorted(maps.Keys(extra)) {
		group := append([]any{out[key]}, extra[key]...)
		encoded := make([][]byte, len(group))
		for i, e := range group {
			encoded[i] = appendCanonical(nil, e)
		}
		order := make([]int, len(group))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return bytes.Compare(encoded[a], encoded[b]) })
		out[key] = group[order[0]]
		n := 2
		for _, i := range order[1:] {
			for {
				k := key + dupSeparator + strconv.Itoa(n)
				n++
				if _, taken := out[k]; !taken {
					out[k] = group[i]
					break
				}
			}
		}
	}
}

// identityKey returns the key of a canonical element, "" when it has no
// identity.
func identityKey(e any, id identity) string {
	m, ok := e.(map[string]any)
	if !ok {
		return ""
	}
	switch id {
	case identStep:
		if name := scalarText(m["Name"]); name != "" {
			return StepKey(name)
		}
	case identID:
		return scalarText(m["Id"])
	case identName:
		return scalarText(m["Name"])
	case identError:
		code, msg := scalarText(m["Code"]), scalarText(m["Message"])
		if code != "" || msg != "" {
			return code + "|" + msg
		}
	}
	return ""
}

// contentHash names a canonical value by its content.
func contentHash(v any) string {
	sum := sha256.Sum256(appendCanonical(nil, v))
	return hex.EncodeToString(sum[:6])
}
