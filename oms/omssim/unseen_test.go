package omssim

import (
	"fmt"
	"testing"
	"time"
)

// How many of a load run's changes a poller cannot see, however fast it
// is, when it reads each project once every pass: a change that is undone
// before the project's next read (an alarm that fires and clears between
// two reads) leaves no difference to report. The fleet of
// `omswatch bench --projects 100000` (seed 1, a 10 s tick) over its 5
// minutes, then 3 minutes frozen (its --settle); each project read every
// pass, at an offset spread over the pass as a fleet read's pages are.
//
//	go test ./oms/omssim -run '^$' -bench UnseenFloor -benchtime 1x
func BenchmarkUnseenFloor(b *testing.B) {
	const projects, runTicks, settle = 100_000, 30, 180 * time.Second
	g, err := NewGenerator(GeneratorOptions{Seed: 1, Projects: projects, Step: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	states := make([][]projectState, runTicks+1)
	for t := range states {
		states[t] = g.states(int64(t), nil)
	}
	changes := g.stateChanges(0, runTicks)
	for _, pass := range []time.Duration{60 * time.Second, 67 * time.Second, 83 * time.Second, 90 * time.Second, 120 * time.Second, 213 * time.Second} {
		b.Run(fmt.Sprintf("pass=%s", pass), func(b *testing.B) {
			for b.Loop() {
				unseen := unseenAt(g, states, changes, pass, 10*runTicks*time.Second+settle)
				b.ReportMetric(float64(unseen), "unseen")
				b.ReportMetric(float64(len(changes)), "changes")
			}
		})
	}
}

// unseenAt counts the changes no read shows: project i is read at
// offset i/len*pass, then every pass until end, seeing the state of the
// tick then (the last tick once the clock stops); a read shows the
// changes at or before it when its state differs from the read before
// (the first read shows everything before it).
func unseenAt(g *Generator, states [][]projectState, changes []StateChange, pass, end time.Duration) int {
	last := int64(len(states) - 1)
	tickAt := func(at time.Duration) int64 { return min(int64(at/(10*time.Second)), last) }
	// shown[i] holds the ticks at which project i's reads showed a change.
	shown := make([][]int64, len(g.projects))
	for i := range g.projects {
		offset := pass * time.Duration(i) / time.Duration(len(g.projects))
		prev := int64(-1)
		for at := offset; at <= end; at += pass {
			t := tickAt(at)
			if prev < 0 || states[t][i].changedFrom(states[prev][i]) {
				shown[i] = append(shown[i], t)
			}
			prev = t
		}
	}
	index := make(map[string]int, len(g.projects))
	for i, sp := range g.projects {
		index[sp.id] = i
	}
	unseen := 0
	for _, c := range changes {
		seen := false
		for _, t := range shown[index[c.Project]] {
			if t >= c.Tick {
				seen = true
				break
			}
		}
		if !seen {
			unseen++
		}
	}
	return unseen
}
