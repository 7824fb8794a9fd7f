package incident

import (
	"fmt"
	"math"
	"time"
)

// Sample is the sync delay of a project at one poll.
type Sample struct {
	At    time.Time     `json:"at"`
	Delay time.Duration `json:"delay"`
}

// maxSamples is how many of the last polls' delays an incident keeps: the
// last polls say where the delay is going (older ones say where it went,
// and would hide a catch-up that just stalled).
const maxSamples = 5

// Trends of the delay.
const (
	CatchingUp    = "catching_up"
	FallingBehind = "falling_behind"
	Stalled       = "stalled"
)

// ETA is where a project's sync delay is going: its trend, how fast
// (seconds of delay per minute, negative while catching up) and, while
// catching up, how long until it has caught up.
type ETA struct {
	Trend     string
	Rate      float64
	Remaining time.Duration
	Delay     time.Duration
}

// minSamples is the fewest samples a trend is read from.
const minSamples = 3

// MinDelay is the least delay worth an ETA: below it a project is in
// sync, whatever its trend.
const MinDelay = time.Minute

// Estimate reads the trend of the delay from samples (oldest first) by a
// least-squares line through them; false with fewer than minSamples or a
// span of no time. A delay that moves by less than a second a minute (or
// 1% of itself) is stalled.
func Estimate(samples []Sample) (ETA, bool) {
	if len(samples) < minSamples {
		return ETA{}, false
	}
	t0 := samples[0].At
	var n, sx, sy, sxx, sxy float64
	for _, s := range samples {
		x, y := s.At.Sub(t0).Minutes(), s.Delay.Seconds()
		n++
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return ETA{}, false
	}
	slope := (n*sxy - sx*sy) / den // seconds of delay per minute
	last := samples[len(samples)-1].Delay
	e := ETA{Rate: slope, Delay: last}
	switch {
	case math.Abs(slope) < math.Max(1, 0.01*last.Seconds()):
		e.Trend = Stalled
	case slope < 0:
		e.Trend = CatchingUp
		e.Remaining = time.Duration(last.Seconds() / -slope * float64(time.Minute)).Round(time.Minute)
	default:
		e.Trend = FallingBehind
	}
	return e, true
}

// String says it in words: "catching up, ETA 35 min", "falling behind by
// 3 s/min", "stalled at 5m0s behind".
func (e ETA) String() string {
	switch e.Trend {
	case CatchingUp:
		if e.Remaining < time.Minute {
			return "catching up, ETA under a minute"
		}
		return fmt.Sprintf("catching up, ETA %d min", int(e.Remaining.Minutes()))
	case FallingBehind:
		return fmt.Sprintf("falling behind by %.0f s/min", e.Rate)
	case Stalled:
		return fmt.Sprintf("stalled at %s behind", e.Delay.Round(time.Second))
	}
	return ""
}

// sample notes the project's delay on an open incident; it reports
// whether the trend changed (a new one is news: an update).
func (in *Incident) sample(s Sample) bool {
	before, had := Estimate(in.Delays)
	in.Delays = append(in.Delays, s)
	if n := len(in.Delays) - maxSamples; n > 0 {
		in.Delays = append(in.Delays[:0:0], in.Delays[n:]...)
	}
	after, ok := Estimate(in.Delays)
	return ok && after.Delay >= MinDelay && (!had || before.Trend != after.Trend)
}
