package differ

import (
	"encoding/json"
	"strconv"

	"github.com/omswatch/omswatch/oms"
)

// member returns a top-level member of a snapshot's canonical tree, nil when
// the snapshot is nil or has none.
func member(s *oms.Snapshot, key string) any {
	if s == nil {
		return nil
	}
	return s.Member(key)
}

// obj returns v as an object, nil if it is not one.
func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// text returns a canonical scalar as text ("" for anything else).
func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}

// number returns a canonical number as an int64, 0 when it is none.
func number(v any) int64 {
	switch t := v.(type) {
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n
		}
		if f, err := t.Float64(); err == nil {
			return int64(f)
		}
	case string:
		n, _ := strconv.ParseInt(t, 10, 64)
		return n
	}
	return 0
}

// isTrue reads a canonical boolean leniently (true, "true").
func isTrue(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return t == "true" || t == "TRUE" || t == "True"
	}
	return false
}

// scalar returns v as an event field value: canonical scalars as they are,
// nil for a missing value or a container.
func scalar(v any) any {
	switch v.(type) {
	case string, json.Number, bool:
		return v
	}
	return nil
}
