package event

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Change is one RFC 6902 JSON Patch operation; Path and From are JSON
// Pointers into the canonical snapshot.
type Change struct {
	Op    string // add, remove, replace, move, copy, test
	Path  string
	From  string // move and copy only
	Value any    // add, replace and test only; may be null
}

// MarshalJSON writes exactly the members RFC 6902 defines for the op: value
// is present (even when null, false or 0) for add, replace and test, and
// absent otherwise.
func (c Change) MarshalJSON() ([]byte, error) { return appendChange(nil, c) }

// UnmarshalJSON reads an operation back; numbers stay json.Number.
func (c *Change) UnmarshalJSON(b []byte) error {
	var raw struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		From  string          `json:"from"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("patch operation: %w", err)
	}
	*c = Change{Op: raw.Op, Path: raw.Path, From: raw.From}
	if len(raw.Value) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw.Value))
		dec.UseNumber()
		if err := dec.Decode(&c.Value); err != nil {
			return fmt.Errorf("patch operation value: %w", err)
		}
	}
	return nil
}

// String writes the operation on one line, as op path [from] [= value],
// the root written (root).
func (ch Change) String() string {
	p := ch.Path
	if p == "" {
		p = "(root)" // the JSON Pointer of the whole document
	}
	s := ch.Op + " " + p
	switch ch.Op {
	case "move", "copy":
		s += " from " + ch.From
	case "add", "replace", "test":
		v, err := json.Marshal(ch.Value)
		if err != nil {
			v = []byte(fmt.Sprint(ch.Value))
		}
		s += " = " + string(v)
	}
	return s
}
