package slack

import (
	"fmt"
	"time"
)

// when writes a time for a person at 3 a.m.: its UTC minute and how far it
// is from now (the event's time), "2026-12-13 08:00 UTC (in 6 days)". A
// value that is no time is written as it is.
func when(v any, now time.Time) string {
	t, ok := timeOf(v)
	if !ok {
		return fmt.Sprint(v)
	}
	d := t.Sub(now)
	rel := "now"
	switch {
	case d >= time.Minute:
		rel = "in " + humanDuration(d)
	case d <= -time.Minute:
		rel = humanDuration(-d) + " ago"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC") + " (" + rel + ")"
}

// since writes how long ago a time was, "12 min", for "firing for 12 min".
func since(v any, now time.Time) string {
	t, ok := timeOf(v)
	if !ok {
		return fmt.Sprint(v)
	}
	return humanDuration(now.Sub(t))
}

// dur writes a duration (Go's 12m0s, or a time.Duration) as "12 min".
func dur(v any) string {
	switch t := v.(type) {
	case time.Duration:
		return humanDuration(t)
	case string:
		if d, err := time.ParseDuration(t); err == nil {
			return humanDuration(d)
		}
		return t
	}
	return fmt.Sprint(v)
}

func timeOf(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case string:
		p, err := time.Parse(time.RFC3339, t)
		return p, err == nil
	}
	return time.Time{}, false
}

// humanDuration rounds a duration to what a person reads at a glance.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	days := int(d / (24 * time.Hour))
	if days == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", days)
}
