package omssim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FaultKind names what an injected fault does to a request.
type FaultKind string

// The fault kinds. See the package documentation for what each looks like
// on the wire.
const (
	FaultLatency   FaultKind = "latency"   // delay the answer by Duration, then answer normally
	FaultTimeout   FaultKind = "timeout"   // hold the request until the client gives up or Duration passes, then drop the connection
	FaultHTTP500   FaultKind = "http500"   // HTTP 500 InternalError
	FaultHTTP503   FaultKind = "http503"   // HTTP 503 ServiceUnavailable
	FaultThrottle  FaultKind = "throttle"  // HTTP 400 Throttling.User with an x-ratelimit-user-api hint of Duration
	FaultBusiness  FaultKind = "business"  // HTTP 200 Success:false with Code
	FaultTruncated FaultKind = "truncated" // HTTP 200, the JSON body cut in half
	FaultInvalid   FaultKind = "invalid"   // HTTP 200, a body that is not JSON
	FaultNotFound  FaultKind = "notfound"  // HTTP 200 Success:false PROJECT_NOT_FOUND_ERROR (DescribeProject only)
)

var faultKinds = []FaultKind{FaultLatency, FaultTimeout, FaultHTTP500, FaultHTTP503, FaultThrottle,
	FaultBusiness, FaultTruncated, FaultInvalid, FaultNotFound}

// Defaults for fault arguments left out of a spec.
const (
	DefaultTimeoutCap = 30 * time.Second
	DefaultThrottle   = time.Second
)

// Fault is one rule of fault injection. A rule applies to a request when its
// Target matches; it then fires for the next Count matching requests, or,
// when Count is 0, with probability Rate drawn from the server's seeded RNG.
type Fault struct {
	Kind FaultKind
	// Duration is the latency, the timeout cap, or the throttling TimeLeft.
	Duration time.Duration
	// Code is the business error's Code (default INNER_ERROR).
	Code string
	// Rate is the probability per matching request, in (0, 1].
	Rate float64
	// Count > 0 makes the rule fire on exactly the next Count matching
	// requests and then never again.
	Count int
	// Target is a project id or an action name (DescribeProject,
	// ListProjects); empty matches every request.
	Target string
}

// terminal reports whether the fault replaces the answer (every kind but latency).
func (f Fault) terminal() bool { return f.Kind != FaultLatency }

// String formats the rule in the spec grammar; ParseFaults reads it back.
func (f Fault) String() string {
	var b strings.Builder
	b.WriteString(string(f.Kind))
	switch {
	case f.Kind == FaultBusiness && f.Code != "":
		b.WriteString("=" + f.Code)
	case f.Duration > 0:
		b.WriteString("=" + f.Duration.String())
	}
	if f.Count > 0 {
		b.WriteString("#" + strconv.Itoa(f.Count))
	} else {
		b.WriteString("@" + strconv.FormatFloat(f.Rate, 'g', -1, 64))
	}
	if f.Target != "" {
		b.WriteString(":" + f.Target)
	}
	return b.String()
}

// FormatFaults formats rules as one spec string.
func FormatFaults(fs []Fault) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	return strings.Join(parts, ",")
}

// FaultGrammar is the fault spec grammar, for --help texts.
const FaultGrammar = `spec   = rule { "," rule }            (empty: no faults)
rule   = kind [ "=" value ] [ "@" rate | "#" count ] [ ":" target ]
kind   = latency | timeout | http500 | http503 | throttle | business
       | truncated | invalid | notfound
value  = latency: duration (required), e.g. 200ms
         timeout: how long to hold before dropping the connection (default 30s)
         throttle: the TimeLeft hinted in x-ratelimit-user-api (default 1s)
         business: the error Code (default INNER_ERROR)
rate   = probability per matching request, 0 < rate <= 1 (default 1)
count  = fire on exactly the next count matching requests, then stop
target = a project id (np_...) or an action (DescribeProject, ListProjects);
         default: every request`

// ParseFaults parses a fault spec (see FaultGrammar), e.g.
// "latency=200ms@0.3,throttle@0.2,http503#2,notfound@1:np_abc".
func ParseFaults(spec string) ([]Fault, error) {
	var out []Fault
	var errs []error
	for i, raw := range strings.Split(spec, ",") {
		rule := strings.TrimSpace(raw)
		if rule == "" {
			if strings.TrimSpace(spec) != "" {
				errs = append(errs, fmt.Errorf("rule %d is empty", i+1))
			}
			continue
		}
		f, err := parseFault(rule)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %d %q: %w", i+1, rule, err))
			continue
		}
		out = append(out, f)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("fault spec: %w", err)
	}
	return out, nil
}

func parseFault(rule string) (Fault, error) {
	f := Fault{Rate: 1}
	rest, target, hasTarget := strings.Cut(rule, ":")
	if hasTarget {
		if f.Target = strings.TrimSpace(target); f.Target == "" {
			return f, errors.New("empty target after ':'")
		}
	}
	if i := strings.IndexAny(rest, "@#"); i >= 0 {
		if err := parseTrigger(&f, rest[i], strings.TrimSpace(rest[i+1:])); err != nil {
			return f, err
		}
		rest = rest[:i]
	}
	kind, value, hasValue := strings.Cut(rest, "=")
	f.Kind = FaultKind(strings.ToLower(strings.TrimSpace(kind)))
	if !validKind(f.Kind) {
		return f, fmt.Errorf("unknown kind %q (want one of %s)", kind, kindList())
	}
	value = strings.TrimSpace(value)
	if hasValue && value == "" {
		return f, errors.New("empty value after '='")
	}
	return f, parseValue(&f, value)
}

func parseTrigger(f *Fault, sep byte, s string) error {
	if sep == '#' {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("count %q: want a whole number >= 1", s)
		}
		f.Count, f.Rate = n, 0
		return nil
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || !(r > 0 && r <= 1) {
		return fmt.Errorf("rate %q: want a number with 0 < rate <= 1", s)
	}
	f.Rate = r
	return nil
}

func parseValue(f *Fault, value string) error {
	switch f.Kind {
	case FaultLatency, FaultTimeout, FaultThrottle:
		if value == "" {
			if f.Kind == FaultLatency {
				return errors.New("latency needs a duration, e.g. latency=200ms")
			}
			f.Duration = map[FaultKind]time.Duration{FaultTimeout: DefaultTimeoutCap, FaultThrottle: DefaultThrottle}[f.Kind]
			return nil
		}
		d, err := time.ParseDuration(value)
		if err != nil || d <= 0 {
			return fmt.Errorf("duration %q: want a positive Go duration such as 200ms or 2s", value)
		}
		f.Duration = d
	case FaultBusiness:
		f.Code = value
	default:
		if value != "" {
			return fmt.Errorf("%s takes no value", f.Kind)
		}
	}
	return nil
}

func validKind(k FaultKind) bool {
	for _, v := range faultKinds {
		if k == v {
			return true
		}
	}
	return false
}

func kindList() string {
	s := make([]string, len(faultKinds))
	for i, k := range faultKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
