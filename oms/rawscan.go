package oms

import "unicode/utf8"

// The reusing parse (reuse.go) reads a response's skeleton itself, so that
// it can hand the bytes of each large subtree to the memo before anything is
// decoded. What it reads here it checks strictly and gives up on anything
// unusual (the caller then takes the plain path, whose errors users see);
// the values between the skeleton's brackets are checked by the decoder, or
// are byte for byte a value the decoder accepted in an earlier response.

// tapeEntry is one container (object or array) of a document, in document
// order, so that the skeleton reader can step over a whole container in one
// move instead of scanning it once per level it is nested in.
type tapeEntry struct {
	start, end int32 // offset of its opening bracket, offset just past its closing one
	desc       int32 // containers nested in it; they follow it in the tape
}

// buildTape indexes the containers of b in one pass, strings stepped over
// (escapes included). It fails on unbalanced or mismatched brackets and on
// an unterminated string; it checks nothing else.
func buildTape(b []byte, tape []tapeEntry) ([]tapeEntry, bool) {
	var open [32]int32
	stack := open[:0]
	for i := 0; i < len(b); i++ {
		c := b[i]
		// '[' and ']' are '{' and '}' with bit 5 clear: three compares
		// find the five bytes that matter.
		if c != '"' && c|0x20 != '{' && c|0x20 != '}' {
			continue
		}
		switch c {
		case '"':
			end, ok := stringEnd(b, i)
			if !ok {
				return tape, false
			}
			i = end - 1
		case '{', '[':
			stack = append(stack, int32(len(tape)))
			tape = append(tape, tapeEntry{start: int32(i)})
		default: // '}' or ']'
			if len(stack) == 0 {
				return tape, false
			}
			t := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if b[tape[t].start] != c-2 { // '}' is '{'+2, ']' is '['+2
				return tape, false // '{' closed by ']' or '[' by '}'
			}
			tape[t].end, tape[t].desc = int32(i+1), int32(len(tape))-t-1
		}
	}
	return tape, len(stack) == 0
}

// stringEnd returns the offset just past the string that starts at b[i]
// ('"'), escapes stepped over but not checked.
func stringEnd[T string | []byte](b T, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1, true
		case '\\':
			i++
		}
	}
	return 0, false
}

// rawValue is one member of a raw object (key set) or one element of a raw
// array: where its key and value lie in the document.
type rawValue struct {
	keyStart, keyEnd int // the key's bytes, quotes excluded
	start, end       int // the value's bytes
	tape             int32
}

// container reports whether the value is an object or an array; tape is then
// its entry in the document's tape.
func (v rawValue) container() bool { return v.tape >= 0 }

// skeleton reads the structure of one document with its tape.
type skeleton struct {
	b    []byte
	tape []tapeEntry
}

// members reads the members of the object v, appending them to out. It
// fails when the object is not well formed or a key is not plain (see
// plainString): the object is then decoded as a whole, which either reads
// it or says what is wrong.
func (s skeleton) members(v rawValue, out []rawValue) ([]rawValue, bool) {
	return s.items(v, out, '}')
}

// elements reads the elements of the array v, appending them to out.
func (s skeleton) elements(v rawValue, out []rawValue) ([]rawValue, bool) {
	return s.items(v, out, ']')
}

func (s skeleton) items(v rawValue, out []rawValue, closer byte) ([]rawValue, bool) {
	b, end := s.b, v.end
	next := v.tape + 1 // the tape entry of the next container inside v
	i := skipSpace(b, v.start+1)
	if i == end-1 && b[i] == closer {
		return out, true
	}
	for {
		item := rawValue{tape: -1}
		if closer == '}' {
			if i >= end || b[i] != '"' {
				return out, false
			}
			ke, ok := plainString(b, i)
			if !ok {
				return out, false
			}
			item.keyStart, item.keyEnd = i+1, ke-1
			if i = skipSpace(b, ke); i >= end || b[i] != ':' {
				return out, false
			}
			i = skipSpace(b, i+1)
		}
		ok := s.value(&item, i, &next, end)
		if !ok {
			return out, false
		}
		out = append(out, item)
		i = skipSpace(b, item.end)
		switch {
		case i < end-1 && b[i] == ',':
			i = skipSpace(b, i+1)
		case i == end-1 && b[i] == closer:
			return out, true
		default:
			return out, false
		}
	}
}

// value finds the extent of the value at b[i], before limit: a container
// from the tape (advancing next past it and what it nests), a string to its
// closing quote, anything else to the first byte no number or literal has.
func (s skeleton) value(item *rawValue, i int, next *int32, limit int) bool {
	b := s.b
	if i >= limit {
		return false
	}
	item.start = i
	switch b[i] {
	case '{', '[':
		t := *next
		if int(t) >= len(s.tape) || int(s.tape[t].start) != i {
			return false
		}
		item.end, item.tape = int(s.tape[t].end), t
		*next = t + 1 + s.tape[t].desc
	case '"':
		end, ok := stringEnd(b, i)
		if !ok || end > limit {
			return false
		}
		item.end = end
	default:
		j := i
		for j < limit && scalarByte(b[j]) {
			j++
		}
		if j == i {
			return false
		}
		item.end = j
	}
	return true
}

// scalarByte reports the bytes a number or a literal (true, false, null) may
// have; the decoder checks the value itself.
func scalarByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// plainString returns the offset just past the string at b[i] when it is
// plain: printable ASCII, no escapes, so that its bytes are its value. Keys
// are read this way; anything else sends the object to the decoder.
func plainString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return 0, false
		}
	}
	return 0, false
}
