package service

import (
	"runtime/debug"
	"testing"
)

// run collects garbage at GOGC 50 unless GOGC says otherwise.
func TestDefaultGCPercent(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	for _, tc := range []struct {
		env  string
		want int
	}{{"", defaultGCPercent}, {"200", 100}} {
		t.Setenv("GOGC", tc.env)
		debug.SetGCPercent(100)
		setDefaultGCPercent()
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("GOGC=%q: the collector's target is %d, want %d", tc.env, got, tc.want)
		}
	}
}
