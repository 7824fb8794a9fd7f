package setting

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ByteSize is a number of bytes, written as a plain number (1048576) or
// with a unit: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB
// (powers of 1024), e.g. 64MiB or 10GB.
type ByteSize int64

// String writes the size in the largest binary unit that divides it.
func (b ByteSize) String() string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.size == 0 {
			return strconv.FormatInt(int64(b)/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// MarshalText writes the size as String does.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// byteSizePattern is a size with its unit. Patterns compile on first use,
// not at start-up: every command would pay for them.
var byteSizePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B|B)?$`) })

// UnmarshalText reads a size as written in a configuration file.
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := string(text)
	m := byteSizePattern().FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%q is not a size; want a number of bytes, optionally with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. 64MiB", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return fmt.Errorf("%q is not a size", s)
	}
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
	total := n * mult
	if total >= math.MaxInt64 {
		return fmt.Errorf("%q is too large", s)
	}
	if total != math.Trunc(total) {
		return fmt.Errorf("%q is not a whole number of bytes", s)
	}
	*b = ByteSize(total)
	return nil
}

// Rate is a number of events per period, written as "1/s", "30/m" or
// "600/h"; a bare number means per second.
type Rate struct {
	Count float64
	Per   time.Duration
}

// PerSecond returns the rate in events per second (what x/time/rate takes).
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return r.Count / r.Per.Seconds()
}

// String writes the rate as it is written in the file.
func (r Rate) String() string {
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Per]
	return strconv.FormatFloat(r.Count, 'g', -1, 64) + "/" + unit
}

// MarshalText writes the rate as String does.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a rate as written in a configuration file.
func (r *Rate) UnmarshalText(text []byte) error {
	s := string(text)
	bad := fmt.Errorf("%q is not a rate; want a number per s, m or h, e.g. 1/s or 30/m", s)
	num, unit, hasUnit := strings.Cut(s, "/")
	per := time.Second
	if hasUnit {
		switch strings.TrimSpace(unit) {
		case "s":
		case "m":
			per = time.Minute
		case "h":
			per = time.Hour
		default:
			return bad
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return bad
	}
	if n <= 0 {
		return errors.New(strconv.Quote(s) + " must be more than zero")
	}
	*r = Rate{Count: n, Per: per}
	return nil
}
