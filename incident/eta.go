package incident

import "github.com/omswatch/omswatch/oms"

// Sample is the sync delay of a project at one poll.
type Sample = oms.DelaySample

// ETA is where a project's sync delay is going (oms.ETA): the incidents,
// the rules (project.Incr.ETA) and the status card read it the same way.
type ETA = oms.ETA

// Trends of the delay.
const (
	CatchingUp    = oms.CatchingUp
	FallingBehind = oms.FallingBehind
	Stalled       = oms.Stalled
)

// MinDelay is the least delay worth an ETA: below it a project is in
// sync, whatever its trend.
const MinDelay = oms.MinETADelay

// Estimate reads the trend of the delay from samples (oldest first); see
// oms.EstimateETA.
func Estimate(samples []Sample) (ETA, bool) { return oms.EstimateETA(samples) }

// sample notes the project's delay on an open incident; it reports
// whether the trend changed (a new one is news: an update).
func (in *Incident) sample(s Sample) bool {
	before, had := Estimate(in.Delays)
	in.Delays = oms.AddDelaySample(in.Delays, s)
	after, ok := Estimate(in.Delays)
	return ok && after.Delay >= MinDelay && (!had || before.Trend != after.Trend)
}
