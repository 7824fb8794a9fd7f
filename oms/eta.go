package oms

import (
	"fmt"
	"math"
	"time"
)

// DelaySample is the sync delay of a project at one poll.
type DelaySample struct {
	At    time.Time     `json:"at"`
	Delay time.Duration `json:"delay"`
}

// Trends of the sync delay (ETA.Trend).
const (
	CatchingUp    = "catching_up"
	FallingBehind = "falling_behind"
	Stalled       = "stalled"
)

// ETA is where a project's sync delay is going: its trend (CatchingUp,
// FallingBehind, Stalled; "" when not known or in sync), how fast (Rate:
// seconds of delay per minute, negative while catching up), how long until
// it has caught up (Remaining, while catching up) and the last delay.
type ETA struct {
	Trend     string
	Rate      float64
	Remaining time.Duration
	Delay     time.Duration
}

// Incr is the project's incremental sync over its last polls: what one
// snapshot cannot say. Snapshot.Project leaves it zero; the rules engine
// fills it from the delays it keeps per project.
type Incr struct {
	// ETA is where the sync delay is going (the zero ETA, Trend "", when
	// there are fewer than 3 samples or the delay is under MinETADelay).
	ETA ETA
}

// Delay samples: how many of the last polls are kept (the last polls say
// where the delay is going; older ones would hide a catch-up that just
// stalled), the fewest a trend is read from, and the oldest a line is drawn
// through (a sample from before a long outage says nothing of now).
const (
	MaxDelaySamples = 5
	minDelaySamples = 3
	maxSampleAge    = time.Hour
)

// MinETADelay is the least delay worth an ETA: below it a project is in
// sync, whatever its trend.
const MinETADelay = time.Minute

// EstimateETA reads the trend of the delay from samples (oldest first) by
// a least-squares line through them; false with fewer than 3 samples or a
// span of no time. A delay that moves by less than a second a minute (or
// 1% of itself) is stalled.
func EstimateETA(samples []DelaySample) (ETA, bool) {
	if len(samples) < minDelaySamples {
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

// LaggingETA is EstimateETA for a project behind by at least MinETADelay:
// the zero ETA for one in sync.
func LaggingETA(samples []DelaySample) ETA {
	if e, ok := EstimateETA(samples); ok && e.Delay >= MinETADelay {
		return e
	}
	return ETA{}
}

// AddDelaySample appends s to samples (oldest first) and returns the last
// MaxDelaySamples of them, without those more than an hour older than s. A
// sample not after the last one (the same poll again) replaces it. The
// result is a new slice: samples is not changed.
func AddDelaySample(samples []DelaySample, s DelaySample) []DelaySample {
	out := make([]DelaySample, 0, MaxDelaySamples)
	for _, old := range samples {
		if s.At.Sub(old.At) <= maxSampleAge && old.At.Before(s.At) {
			out = append(out, old)
		}
	}
	out = append(out, s)
	if n := len(out) - MaxDelaySamples; n > 0 {
		out = out[n:]
	}
	return out
}

// String says it in words: "catching up, ETA 35 min", "falling behind by
// 3 s/min", "stalled at 5m0s behind"; "" for the zero ETA.
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
