package setting

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Duration is a time.Duration written as Go writes durations (300ms, 30s,
// 1h30m) plus two longer units retention needs: d (24h) and w (7d), as in
// 90d or 2w3d. Durations are never negative.
type Duration time.Duration

// Duration returns the value as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// String writes whole days as days ("90d") and everything else as Go does
// without trailing zero units (1h, not 1h0m0s), so a value prints the way
// it is usually written.
func (d Duration) String() string {
	const day = 24 * time.Hour
	td := time.Duration(d)
	if td >= day && td%day == 0 {
		return strconv.FormatInt(int64(td/day), 10) + "d"
	}
	s := td.String() // 1h30m0s
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText writes the duration as String does, for JSON and YAML output.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// durationPart is one number-and-unit group of a duration.
var durationPart = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h|d|w)`)
})

// UnmarshalText reads a duration as written in a configuration file.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads a Duration. The groups are summed in float64 so that
// 1.5d works; the total must fit in a time.Duration (about 292 years).
func ParseDuration(s string) (time.Duration, error) {
	bad := errors.New(strconv.Quote(s) + " is not a duration; want a number and a unit (ms, s, m, h, d for days, w for weeks), e.g. 30s, 1h30m or 90d")
	if s == "0" {
		return 0, nil
	}
	if strings.HasPrefix(s, "-") {
		return 0, errors.New(strconv.Quote(s) + " is negative; durations here are 0 or more")
	}
	parts := durationPart().FindAllStringSubmatchIndex(s, -1)
	if len(parts) == 0 || parts[0][0] != 0 {
		return 0, bad
	}
	total, end := 0.0, 0
	for _, p := range parts {
		if p[0] != end {
			return 0, bad
		}
		end = p[1]
		n, err := strconv.ParseFloat(s[p[2]:p[3]], 64)
		if err != nil {
			return 0, bad
		}
		total += n * float64(unitOf(s[p[4]:p[5]]))
	}
	if end != len(s) {
		return 0, bad
	}
	if total >= math.MaxInt64 {
		return 0, errors.New(strconv.Quote(s) + " is too long; the longest duration is about 292 years")
	}
	return time.Duration(total), nil
}

func unitOf(u string) time.Duration {
	switch u {
	case "ns":
		return time.Nanosecond
	case "us", "µs":
		return time.Microsecond
	case "ms":
		return time.Millisecond
	case "s":
		return time.Second
	case "m":
		return time.Minute
	case "h":
		return time.Hour
	case "d":
		return 24 * time.Hour
	}
	return 7 * 24 * time.Hour // w
}
