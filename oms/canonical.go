package oms

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// place is where in a DescribeProject document an object sits. Only a few
// places hold identified arrays; everywhere else is placePlain.
type place uint8

const (
	placePlain place = iota
	placeProject
	placeStep
	placeStepExtra
	placeMapping
	placeDatabase
)

// keyedObject marks an identified array already keyed (a canonical
// snapshot read back): its keys are identities, kept as they are, and its
// values are elements at the place given with it.
const keyedObject Freeform = -1

// identity is what keys the elements of an identified array.
type identity uint8

const (
	identNone  identity = iota
	identStep           // StepKey(Name)
	identID             // Id
	identName           // Name
	identError          // Code|Message
)

// member tells how the member key (canonical spelling) of an object at
// place p is canonicalised: the identity its array is keyed by, if any, and
// the place of its value (or of its elements).
func member(p place, key string) (identity, place) {
	switch p {
	case placeProject:
		switch key {
		case "Steps":
			return identStep, placeStep
		case "Labels":
			return identID, placePlain
		case "TransferMapping":
			return identNone, placeMapping
		}
	case placeStep:
		if key == "ExtraInfo" {
			return identNone, placeStepExtra
		}
	case placeStepExtra:
		if key == "ErrorDetails" {
			return identError, placePlain
		}
	case placeMapping:
		if key == "Databases" || key == "DatabasesBlack" {
			return identName, placeDatabase
		}
	case placeDatabase:
		switch key {
		case "Tables", "Views", "SpecificTables", "SpecificViews":
			return identName, placePlain
		}
	}
	return identNone, placePlain
}

// walker canonicalises a decoded tree in one walk. By default it rebuilds
// every container and leaves its input alone; with inPlace it rewrites the
// objects and arrays it is given instead, which spares copying a tree that
// nobody else holds (ParseSnapshot's own decoding).
type walker struct {
	inPlace bool
}

// canon returns the canonical form of a decoded JSON value, or nil when the
// value is null (JSON null or the string "null") and so is dropped.
func (w walker) canon(v any, p place, kind Freeform) (any, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		switch c := canonText(t); c {
		case "null":
			return nil, nil
		case t:
			return v, nil // unchanged: reuse the boxed value rather than allocate another
		default:
			return c, nil
		}
	case json.Number:
		if !validNumber(string(t)) {
			return nil, fmt.Errorf("%q is not a JSON number", string(t))
		}
		return v, nil
	case bool:
		return v, nil
	case map[string]any:
		return w.canonObject(t, p, kind)
	case []any:
		return w.canonArray(t, p, kind)
	case float64:
		return floatNumber(t)
	case float32:
		return floatNumber(float64(t))
	case int:
		return json.Number(strconv.Itoa(t)), nil
	case int64:
		return json.Number(strconv.FormatInt(t, 10)), nil
	}
	return nil, fmt.Errorf("unsupported value of type %T (want what encoding/json decodes into any)", v)
}

// canonText trims a string or key ("null" is then null). Invalid UTF-8 becomes U+FFFD byte by
// byte, as encoding/json decodes it, so a tree and its JSON agree.
func canonText(s string) string {
	s = strings.TrimSpace(s)
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // RuneError for each invalid byte
		i += size
	}
	return strings.TrimSpace(b.String())
}

// canonObject canonicalises an object: keys trimmed and, outside free-form
// maps, PascalCase; null members dropped; identified arrays keyed.
func (w walker) canonObject(m map[string]any, p place, kind Freeform) (any, error) {
	if w.inPlace {
		return w.rewriteObject(m, p, kind)
	}
	out := make(map[string]any, len(m))
	var renamed map[string]string
	for k, v := range m {
		key, cv, err := w.canonMember(k, v, p, kind)
		if err != nil {
			return nil, err
		}
		if cv == nil {
			continue
		}
		if _, dup := out[key]; dup && !keepNew(key, k, origKey(renamed, key)) {
			continue
		}
		out[key] = cv
		renamed = noteRename(renamed, key, k)
	}
	return out, nil
}

// rewriteObject is canonObject rewriting m itself. Members whose key
// changes are set aside and put back after the walk, since a key added to a
// map during range may or may not be visited.
func (w walker) rewriteObject(m map[string]any, p place, kind Freeform) (any, error) {
	type moved struct{ key, orig string }
	var moves []moved
	var values []any
	for k, v := range m {
		key, cv, err := w.canonMember(k, v, p, kind)
		switch {
		case err != nil:
			return nil, err
		case key != k:
			delete(m, k)
			if cv != nil {
				moves, values = append(moves, moved{key, k}), append(values, cv)
			}
		case cv == nil:
			delete(m, k)
		default:
			m[k] = cv
		}
	}
	var renamed map[string]string
	for i, mv := range moves {
		if _, dup := m[mv.key]; dup && !keepNew(mv.key, mv.orig, origKey(renamed, mv.key)) {
			continue
		}
		m[mv.key] = values[i]
		renamed = noteRename(renamed, mv.key, mv.orig)
	}
	return m, nil
}

// canonMember canonicalises one member of an object: its key and value.
func (w walker) canonMember(k string, v any, p place, kind Freeform) (string, any, error) {
	key := canonText(k)
	var cv any
	var err error
	switch kind {
	case keyedObject:
		cv, err = w.canon(v, p, NotFreeform)
	case Opaque:
		cv, err = w.canon(v, placePlain, Opaque)
	case DataKeyed:
		cv, err = w.canon(v, placePlain, NotFreeform)
	default:
		key = PascalKey(key)
		if fk := FreeformKind(key); fk != NotFreeform {
			cv, err = w.canon(v, placePlain, fk)
		} else if id, child := member(p, key); id != identNone {
			cv, err = w.canonKeyed(v, id, child)
		} else {
			cv, err = w.canon(v, child, NotFreeform)
		}
	}
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", key, err)
	}
	return key, cv, nil
}

// canonArray keeps an array positional, dropping null elements.
func (w walker) canonArray(a []any, p place, kind Freeform) (any, error) {
	out := a[:0]
	if !w.inPlace {
		out = make([]any, 0, len(a))
	}
	for i, e := range a {
		ce, err := w.canon(e, p, kind)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		if ce != nil {
			out = append(out, ce)
		}
	}
	if w.inPlace {
		clear(a[len(out):]) // drop references past the new end
	}
	return out, nil
}

// keepNew decides a collision of two members that canonicalise to the same
// key, whatever order a map is walked in: a member already spelled
// canonically wins, else the smaller original key.
func keepNew(key, newOrig, oldOrig string) bool {
	switch {
	case oldOrig == key:
		return false
	case newOrig == key:
		return true
	}
	return newOrig < oldOrig
}

// origKey returns the original key of the member stored under key.
func origKey(renamed map[string]string, key string) string {
	if o, ok := renamed[key]; ok {
		return o
	}
	return key
}

// noteRename records the original key of a member stored under key. Only
// renamed members are recorded, so a canonical document allocates nothing.
func noteRename(renamed map[string]string, key, orig string) map[string]string {
	if orig == key {
		delete(renamed, key)
		return renamed
	}
	if renamed == nil {
		renamed = make(map[string]string)
	}
	renamed[key] = orig
	return renamed
}
