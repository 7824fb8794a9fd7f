package event

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/omswatch/omswatch/internal/jsonw"
)

// The encoder below writes an event in one pass, byte for byte what
// encoding/json writes (compact, map keys sorted, no HTML escaping) for
// the types event data is made of: every event is encoded once for the
// outbox, and encoding/json's reflection, with each nested MarshalJSON's
// output validated and compacted again, was a twentieth of the service's
// CPU. Any other type is handed to encoding/json, so its output stays the
// reference (TestEncoderMatchesEncodingJSON, FuzzEncoderMatchesEncodingJSON).

// appendEvent appends e's one JSON encoding (see Event.JSON).
func appendEvent(b []byte, e Event) ([]byte, error) {
	b = append(b, `{"specversion":`...)
	b = jsonw.AppendString(b, SpecVersion)
	b = append(b, `,"id":`...)
	b = jsonw.AppendString(b, e.ID)
	b = append(b, `,"source":`...)
	b = jsonw.AppendString(b, e.Source)
	b = append(b, `,"type":`...)
	b = jsonw.AppendString(b, e.Type)
	b = append(b, `,"subject":`...)
	b = jsonw.AppendString(b, e.Subject)
	b = append(b, `,"time":`...)
	b = jsonw.AppendString(b, e.Time.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"datacontenttype":`...)
	b = jsonw.AppendString(b, ContentType)
	b = append(b, `,"severity":`...)
	b = jsonw.AppendString(b, string(e.Severity))
	b = append(b, `,"data":`...)
	b, err := appendData(b, e.Data)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendData appends the data object: the fields, "project" and
// "changes" as one object with sorted keys.
func appendData(b []byte, d Data) ([]byte, error) {
	keys := make([]string, 0, len(d.Fields)+2)
	for k := range d.Fields {
		if k != dataKeyProject && k != dataKeyChanges {
			keys = append(keys, k)
		}
	}
	keys = append(keys, dataKeyProject, dataKeyChanges)
	return appendMembers(b, keys, func(b []byte, k string) ([]byte, error) {
		switch k {
		case dataKeyProject:
			return appendProject(b, d.Project), nil
		case dataKeyChanges:
			return appendChanges(b, d.Changes)
		}
		return appendValue(b, d.Fields[k])
	})
}

// appendMembers writes an object of keys, sorted, each value by add.
func appendMembers(b []byte, keys []string, add func([]byte, string) ([]byte, error)) ([]byte, error) {
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = add(b, k); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendProject writes the project in its struct's field order; labels
// are [] rather than null.
func appendProject(b []byte, p Project) []byte {
	b = append(b, `{"id":`...)
	b = jsonw.AppendString(b, p.ID)
	b = append(b, `,"name":`...)
	b = jsonw.AppendString(b, p.Name)
	b = append(b, `,"type":`...)
	b = jsonw.AppendString(b, p.Type)
	b = append(b, `,"status":`...)
	b = jsonw.AppendString(b, p.Status)
	b = append(b, `,"importance":`...)
	b = jsonw.AppendString(b, p.Importance)
	b = append(b, `,"labels":`...)
	b, _ = appendArray(b, p.Labels, appendStringElem) // none is [], and a string cannot fail
	b = append(b, `,"owner":`...)
	b = jsonw.AppendString(b, p.Owner)
	return append(b, '}')
}

// appendChanges writes the operations; none is [] rather than null.
func appendChanges(b []byte, cs []Change) ([]byte, error) { return appendArray(b, cs, appendChange) }

// appendArray writes xs as a JSON array, each element by add.
func appendArray[T any](b []byte, xs []T, add func([]byte, T) ([]byte, error)) ([]byte, error) {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = add(b, x); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendStringElem(b []byte, s string) ([]byte, error) { return jsonw.AppendString(b, s), nil }

// appendChange writes exactly the members RFC 6902 defines for the op.
func appendChange(b []byte, c Change) ([]byte, error) {
	b = append(b, `{"op":`...)
	b = jsonw.AppendString(b, c.Op)
	b = append(b, `,"path":`...)
	b = jsonw.AppendString(b, c.Path)
	switch c.Op {
	case "move", "copy":
		b = append(b, `,"from":`...)
		b = jsonw.AppendString(b, c.From)
	case "add", "replace", "test":
		b = append(b, `,"value":`...)
		var err error
		if b, err = appendValue(b, c.Value); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendValue appends v as encoding/json writes it.
func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsonw.AppendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case json.Number:
		if v == "" {
			return append(b, '0'), nil
		}
		if isNumber(v) {
			return append(b, v...), nil
		}
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case float64:
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			return appendFloat(b, v), nil
		}
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		return appendObject(b, v)
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		return appendArray(b, v, appendValue)
	case []string:
		if v == nil {
			return append(b, "null"...), nil
		}
		return appendArray(b, v, appendStringElem)
	}
	enc, err := encode(v) // anything else, and what encoding/json refuses, as it says
	if err != nil {
		return nil, err
	}
	return append(b, enc...), nil
}

func appendObject(b []byte, m map[string]any) ([]byte, error) {
	return appendMembers(b, slices.Collect(maps.Keys(m)), func(b []byte, k string) ([]byte, error) { return appendValue(b, m[k]) })
}

// appendFloat writes a finite float64 as ES6 does, as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 -> e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// isNumber reports whether n is a JSON number: the only json.Number
// encoding/json writes as it is.
func isNumber(n json.Number) bool {
	last := n[len(n)-1]
	return (n[0] == '-' || n[0] >= '0' && n[0] <= '9') && last >= '0' && last <= '9' && json.Valid([]byte(n))
}

// encode is encoding/json's encoding of v: compact, without HTML
// escaping, so "<" in an OMS message stays "<" for every consumer.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
