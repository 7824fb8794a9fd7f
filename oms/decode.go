package oms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

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
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
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
