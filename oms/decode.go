package oms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/bytedance/sonic"
)

// fastJSON decodes valid documents into exactly what encoding/json with
// UseNumber gives (FuzzCanonical checks it), 2-3 times faster: bytedance/sonic
// (see LIBRARIES.md). It is an immutable configuration, shared read-only.
// On a CPU or Go version sonic's JIT does not support it falls back to
// encoding/json by itself; BenchmarkDecode shows which path runs.
var fastJSON = sonic.Config{UseNumber: true, ValidateString: true}.Froze()

// decodeJSON decodes one JSON value with numbers as json.Number (OMS ids
// and timestamps may exceed 2^53). Anything but exactly one JSON value is a
// *MalformedError that says what is wrong.
func decodeJSON(httpStatus int, body []byte) (any, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	malformed := func(reason string, err error) error {
		return &MalformedError{HTTPStatus: httpStatus, Reason: reason, Excerpt: excerpt(body), Err: err}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, malformed("the body is empty", nil)
	}
	var v any
	if fastJSON.Unmarshal(body, &v) == nil {
		return v, nil
	}
	// The fast decoder refused the body: decode it again with encoding/json,
	// whose errors (offsets, truncation) are what users are told.
	return decodeStd(httpStatus, body)
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
