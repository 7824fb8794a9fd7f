package service

import (
	"slices"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms/omssim"
)

// A change is seen by the first event of its project observed at or after
// it (up to observedEarly before); the settle loop looks again only at the
// changes not seen yet, and the compact log gives the changes back as the
// simulator told them.
func TestDetectTimesEachChangeFromTheCompactLog(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	a := newArrivals()
	a.byProject["np_a"] = []arrival{
		{observed: at(5).UnixNano(), arrived: at(6).UnixNano()},
		{observed: at(20).UnixNano(), arrived: at(21).UnixNano()},
	}
	a.byProject["np_b"] = []arrival{{observed: at(9).UnixNano(), arrived: at(30).UnixNano()}}
	log := &changeLog{}
	log.add([]omssim.StateChange{
		{Project: "np_a", Tick: 1, Time: at(4)},  // seen at 6 s: 2 s
		{Project: "np_b", Tick: 1, Time: at(10)}, // observed 1 s before: seen at 30 s, 20 s
	})
	log.add([]omssim.StateChange{
		{Project: "np_a", Tick: 2, Time: at(15)}, // seen at 21 s: 6 s
		{Project: "np_c", Tick: 2, Time: at(15)}, // no event
		{Project: "np_b", Tick: 2, Time: at(12)}, // the only event was observed at 9 s: not seen
	})
	if len(log.names) != 3 {
		t.Errorf("project ids kept %d times, want 3 (once each): %v", len(log.names), log.names)
	}

	pending := a.unseen(log, []int32{0, 1, 2, 3, 4})
	if want := []int32{3, 4}; !slices.Equal(pending, want) {
		t.Errorf("unseen = %v, want %v", pending, want)
	}
	delays, unseen, examples := a.detect(log)
	if want := []time.Duration{2 * time.Second, 6 * time.Second, 20 * time.Second}; !slices.Equal(delays, want) {
		t.Errorf("delays = %v, want %v", delays, want)
	}
	if unseen != 2 {
		t.Errorf("unseen = %d, want 2", unseen)
	}
	want := []omssim.StateChange{{Project: "np_c", Tick: 2, Time: at(15)}, {Project: "np_b", Tick: 2, Time: at(12)}}
	if len(examples) != len(want) {
		t.Fatalf("examples = %v, want %v", examples, want)
	}
	for i := range want {
		if examples[i].Project != want[i].Project || examples[i].Tick != want[i].Tick || !examples[i].Time.Equal(want[i].Time) {
			t.Errorf("example %d = %+v, want %+v", i, examples[i], want[i])
		}
	}
}
