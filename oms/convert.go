package oms

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// The helpers below read OMS values leniently: OMS and its proxies send
// numbers as strings now and then ("90"), and a field of the wrong type must
// give the zero value, never a panic or an error.

// textOf returns a scalar as text: strings trimmed ("null" is ""), numbers
// as sent, booleans as true/false; anything else is "".
func textOf(v any) string {
	switch t := v.(type) {
	case string:
		t = strings.TrimSpace(t)
		if t == "null" {
			return ""
		}
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(t, 10)
	case int:
		return strconv.Itoa(t)
	}
	return ""
}

// int64Of reads an integer from a number or a numeric string; fractions are
// truncated, values out of range and garbage give 0.
func int64Of(v any) int64 {
	s := textOf(v)
	if _, isBool := v.(bool); isBool || s == "" {
		return 0
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
		return 0
	}
	return int64(f)
}

// intOf is int64Of clamped to the range of int.
func intOf(v any) int {
	n := int64Of(v)
	if n > math.MaxInt || n < math.MinInt {
		return 0
	}
	return int(n)
}

// boolOf reads true from true, "true" (any case) or a non-zero number.
func boolOf(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		t = strings.TrimSpace(t)
		if strings.EqualFold(t, "true") {
			return true
		}
		return int64Of(t) != 0
	case json.Number:
		return int64Of(t) != 0
	}
	return false
}

// secondsOf reads a duration in seconds (whole or fractional); ok is false
// when v is missing or not a number.
func secondsOf(v any) (d time.Duration, ok bool) {
	if _, isBool := v.(bool); isBool {
		return 0, false
	}
	f, err := strconv.ParseFloat(textOf(v), 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > float64(math.MaxInt64/int64(time.Second)) {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// unixMillisAbove is where a Unix timestamp is taken for milliseconds rather
// than seconds: 1e11 seconds is the year 5138, 1e11 milliseconds is 1973.
const unixMillisAbove = 1e11

// timeOf reads an OMS time: a zone-less "2023-07-13T06:26:15" (OMS
// documents these as UTC+0), an RFC 3339 time, or Unix seconds (or
// milliseconds, told apart by size) as a number or a string. Zero and
// garbage give the zero time.
func timeOf(v any) time.Time {
	s := textOf(v)
	if s == "" {
		return time.Time{}
	}
	if _, isBool := v.(bool); isBool {
		return time.Time{}
	}
	// A date is no number: failing to parse one as a number allocated two
	// errors for every time field of every snapshot.
	if numeric(s) {
		if n := int64Of(s); n != 0 || s == "0" {
			if n <= 0 {
				return time.Time{}
			}
			if n > unixMillisAbove {
				return time.UnixMilli(n).UTC()
			}
			return time.Unix(n, 0).UTC()
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano,
		"2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// numeric reports whether s has only the bytes of a decimal number.
func numeric(s string) bool { return strings.Trim(s, "0123456789+-.eE") == "" }

// scalarText is textOf for values already canonical (strings trimmed); it
// is what identity keys are made of.
func scalarText(v any) string {
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
