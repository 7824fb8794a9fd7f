package incident

import (
	"testing"
	"time"
)

// The trend and ETA from polls of known trends: a linear catch-up, a
// growing lag and a plateau; the ETA is within 20% of the truth.
func TestEstimate(t *testing.T) {
	series := func(start time.Duration, perMin float64, n int) []Sample {
		var out []Sample
		for i := range n {
			d := start + time.Duration(perMin*float64(i)*float64(time.Second))
			out = append(out, Sample{At: t0.Add(time.Duration(i) * time.Minute), Delay: d})
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		samples []Sample
		trend   string
		eta     time.Duration // the truth, for catching up
		text    string
	}{
		{"linear catch-up", series(45*time.Minute, -60, 10), CatchingUp, 36 * time.Minute, "catching up, ETA 36 min"},
		{"growing lag", series(2*time.Minute, 3, 10), FallingBehind, 0, "falling behind by 3 s/min"},
		{"plateau", series(5*time.Minute, 0, 10), Stalled, 0, "stalled at 5m0s behind"},
		{"two polls are no trend", series(5*time.Minute, -60, 2), "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := Estimate(tc.samples)
			if e.Trend != tc.trend || ok != (tc.trend != "") {
				t.Fatalf("trend %q (%v), want %q", e.Trend, ok, tc.trend)
			}
			if tc.eta > 0 {
				if off := (e.Remaining - tc.eta).Seconds() / tc.eta.Seconds(); off > 0.2 || off < -0.2 {
					t.Errorf("ETA %s, truth %s", e.Remaining, tc.eta)
				}
			}
			if e.String() != tc.text {
				t.Errorf("text %q, want %q", e.String(), tc.text)
			}
		})
	}
}
