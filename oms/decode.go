package oms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// decodeJSON decodes one JSON value with numbers as json.Number (OMS ids
// and timestamps may exceed 2^53). Anything but exactly one JSON value is a
// *MalformedError that says what is wrong.
//
// The shapes OMS sends are read by quickDecoder, into exactly what
// encoding/json with UseNumber gives (FuzzCanonical checks it), 2-3 times
// faster (BenchmarkCanonicalize: decode_fast against baseline_decode).
// It replaced bytedance/sonic, which was no faster here and whose package
// init (loading its native code, building its JIT decoders: some 12 ms and
// 2 MB, and a garbage collection) every omswatch command paid at start-up,
// version included, whether or not it decoded anything.
func decodeJSON(httpStatus int, body []byte) (any, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	malformed := func(reason string, err error) error {
		return &MalformedError{HTTPStatus: httpStatus, Reason: reason, Excerpt: excerpt(body), Err: err}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, malformed("the body is empty", nil)
	}
	d := quickDecoder{s: string(body)} // one copy: decoded strings share it
	if v, end, ok := d.value(d.space(0)); ok && d.space(end) == len(d.s) {
		return v, nil
	}
	// The quick decoder refused the body (something unusual, or not valid):
	// decode it again with encoding/json, whose answer stands and whose
	// errors (offsets, truncation) are what users are told.
	return decodeStd(httpStatus, body)
}

// decodeValue decodes s, exactly one JSON value, with encoding/json; ok is
// false when s is anything else. It is what quickDecoder falls back to.
func decodeValue(s string) (v any, ok bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// decodeStd is decodeJSON with encoding/json alone: the reference the fast
// path must agree with.
func decodeStd(httpStatus int, body []byte) (any, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	malformed := func(reason string, err error) error {
		return &MalformedError{HTTPStatus: httpStatus, Reason: reason, Excerpt: excerpt(body), Err: err}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, malformed("the body is empty", nil)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, malformed(fmt.Sprintf("the JSON is truncated after %d bytes", len(body)), err)
		case errors.As(err, &syn):
			return nil, malformed(fmt.Sprintf("not valid JSON at byte %d: %v", syn.Offset, err), err)
		default:
			return nil, malformed("not valid JSON: "+err.Error(), err)
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed(fmt.Sprintf("unexpected data after the JSON value at byte %d", dec.InputOffset()), err)
	}
	return v, nil
}

// jsonKind names the JSON type of a decoded value, for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// statusText names an HTTP status for a user; the number itself is in
// APIError.Error already.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "unexpected HTTP status"
}
