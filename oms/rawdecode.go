package oms

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeRaw decodes one JSON value exactly as decodeJSON decodes it inside a
// document: numbers as json.Number, null as nil. ok is false when the value
// is not valid JSON.
//
// The reusing parse decodes the values that changed one by one, most of
// them a few hundred bytes (a step, a table), where a decoder call costs
// several times the decoding. The shapes OMS sends (objects, arrays, strings
// without escapes, numbers, literals) are read here; anything else (escapes,
// invalid UTF-8, deep nesting, anything not valid) goes to encoding/json,
// as on the plain path, whose answer stands.
func decodeRaw(raw []byte) (any, bool) {
	d := quickDecoder{s: string(raw)} // one copy: decoded strings share it
	if v, end, ok := d.value(0); ok && end == len(d.s) {
		return v, true
	}
	return decodeValue(d.s)
}

// quickDecoder reads the common JSON of OMS responses; it gives up (ok
// false) on anything else rather than decide it.
type quickDecoder struct {
	s     string
	depth int
	// members and elems are stacks of the members and elements read of the
	// objects and arrays being decoded: each container is made at its
	// final size once its last member is read. Grown a member at a time,
	// the maps and slices of a list page were a sixth of what the service
	// allocated at 100,000 projects.
	members []keyValue
	elems   []any
}

// quickMaxDepth bounds the nesting read here; OMS values nest a few levels.
const quickMaxDepth = 64

func (d *quickDecoder) value(i int) (v any, end int, ok bool) {
	if i >= len(d.s) {
		return nil, 0, false
	}
	switch c := d.s[i]; c {
	case '{':
		return d.object(i)
	case '[':
		return d.array(i)
	case '"':
		return d.str(i)
	case 't', 'f', 'n':
		j := i
		for j < len(d.s) && d.s[j] >= 'a' && d.s[j] <= 'z' {
			j++
		}
		switch d.s[i:j] {
		case "true":
			return true, j, true
		case "false":
			return false, j, true
		case "null":
			return nil, j, true
		}
		return nil, 0, false
	default:
		j := i
		for j < len(d.s) && scalarByte(d.s[j]) {
			j++
		}
		if !validNumber(d.s[i:j]) {
			return nil, 0, false
		}
		return json.Number(d.s[i:j]), j, true
	}
}

// str reads a string without escapes, control characters or invalid UTF-8;
// one with escapes is decoded by escaped.
func (d *quickDecoder) str(i int) (any, int, bool) {
	s, end, ok := d.text(i)
	if !ok {
		return nil, 0, false
	}
	return s, end, true
}

// text is str unboxed: an object's key needs no interface value.
func (d *quickDecoder) text(i int) (string, int, bool) {
	for j := i + 1; j < len(d.s); j++ {
		switch c := d.s[j]; {
		case c == '"':
			body := d.s[i+1 : j]
			if !utf8.ValidString(body) {
				return "", 0, false
			}
			return body, j + 1, true
		case c == '\\':
			return d.escaped(i)
		case c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

// escaped decodes the string at d.s[i], which has escapes. The short
// escapes and \u of a character outside the surrogates are read here, as
// encoding/json reads them; anything else (a surrogate, a bad escape,
// invalid UTF-8) goes to encoding/json.
func (d *quickDecoder) escaped(i int) (string, int, bool) {
	end, ok := stringEnd(d.s, i)
	if !ok {
		return "", 0, false
	}
	if s, ok := unescape(d.s[i+1 : end-1]); ok {
		return s, end, true
	}
	v, ok := decodeValue(d.s[i:end])
	if !ok {
		return "", 0, false
	}
	s, ok := v.(string)
	return s, end, ok
}

// unescape decodes the body of a JSON string with escapes, giving up on
// what it does not read.
func unescape(body string) (string, bool) {
	if !utf8.ValidString(body) {
		return "", false
	}
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			continue
		case i+1 == len(body):
			return "", false
		}
		i++
		switch e := body[i]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b', 'f', 'n', 'r', 't':
			out = append(out, "\b\f\n\r\t"[strings.IndexByte("bfnrt", e)])
		case 'u':
			r, err := strconv.ParseUint(body[i+1:min(i+5, len(body))], 16, 32)
			if err != nil || i+5 > len(body) || utf16.IsSurrogate(rune(r)) || body[i+1] == '+' {
				return "", false
			}
			out = utf8.AppendRune(out, rune(r))
			i += 4
		default:
			return "", false
		}
	}
	return string(out), true
}

func (d *quickDecoder) object(i int) (any, int, bool) {
	if d.depth++; d.depth > quickMaxDepth {
		return nil, 0, false
	}
	i = d.space(i + 1)
	if i < len(d.s) && d.s[i] == '}' {
		d.depth--
		return map[string]any{}, i + 1, true
	}
	base := len(d.members)
	for i < len(d.s) && d.s[i] == '"' {
		k, j, ok := d.text(i)
		if !ok {
			return nil, 0, false
		}
		if j = d.space(j); j >= len(d.s) || d.s[j] != ':' {
			return nil, 0, false
		}
		v, j, ok := d.value(d.space(j + 1))
		if !ok {
			return nil, 0, false
		}
		d.members = append(d.members, keyValue{k, v})
		switch j = d.space(j); {
		case j < len(d.s) && d.s[j] == ',':
			i = d.space(j + 1)
		case j < len(d.s) && d.s[j] == '}':
			d.depth--
			read := d.members[base:]
			m := make(map[string]any, len(read))
			for _, kv := range read {
				m[kv.key] = kv.val // a repeated key: the last one stands, as in encoding/json
			}
			clear(read) // the stack must not pin what it held
			d.members = d.members[:base]
			return m, j + 1, true
		default:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

func (d *quickDecoder) array(i int) (any, int, bool) {
	if d.depth++; d.depth > quickMaxDepth {
		return nil, 0, false
	}
	i = d.space(i + 1)
	if i < len(d.s) && d.s[i] == ']' {
		d.depth--
		return []any{}, i + 1, true
	}
	base := len(d.elems)
	for {
		v, j, ok := d.value(i)
		if !ok {
			return nil, 0, false
		}
		d.elems = append(d.elems, v)
		switch j = d.space(j); {
		case j < len(d.s) && d.s[j] == ',':
			i = d.space(j + 1)
		case j < len(d.s) && d.s[j] == ']':
			d.depth--
			read := d.elems[base:]
			a := make([]any, len(read))
			copy(a, read)
			clear(read)
			d.elems = d.elems[:base]
			return a, j + 1, true
		default:
			return nil, 0, false
		}
	}
}

func (d *quickDecoder) space(i int) int {
	for i < len(d.s) && (d.s[i] == ' ' || d.s[i] == '\n' || d.s[i] == '\r' || d.s[i] == '\t') {
		i++
	}
	return i
}
