package oms

import (
	"testing"
	"time"
)

// AddDelaySample keeps the last MaxDelaySamples, replaces a repeated poll
// rather than counting it twice, and forgets samples from more than an
// hour before the newest (no line is drawn across an outage).
func TestAddDelaySample(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	at := func(min int, d time.Duration) DelaySample {
		return DelaySample{At: t0.Add(time.Duration(min) * time.Minute), Delay: d}
	}
	var ds []DelaySample
	for i := range 7 {
		ds = AddDelaySample(ds, at(i, time.Duration(i)*time.Minute))
	}
	if len(ds) != MaxDelaySamples || ds[0] != at(2, 2*time.Minute) || ds[4] != at(6, 6*time.Minute) {
		t.Fatalf("kept %v", ds)
	}
	before := ds
	ds = AddDelaySample(ds, at(6, 7*time.Minute)) // the same poll again
	if len(ds) != MaxDelaySamples || ds[4] != at(6, 7*time.Minute) || before[4] != at(6, 6*time.Minute) {
		t.Errorf("a repeated poll: %v (its input now %v)", ds, before)
	}
	ds = AddDelaySample(ds, at(6+61, 10*time.Minute)) // after an outage
	if len(ds) != 1 {
		t.Errorf("after an hour away %v", ds)
	}
	if e, ok := EstimateETA(ds); ok || e != (ETA{}) || LaggingETA(ds) != (ETA{}) {
		t.Errorf("one sample gives %+v", e)
	}
}
