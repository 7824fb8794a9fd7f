package omssim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/differ"
	"github.com/omswatch/omswatch/oms"
)

// The state changes a load run times detection against are exactly the
// ticks at which omswatch's differ finds an event between a project's
// consecutive DescribeProject answers: a change listed with no event would
// count as never seen, an event without a change would go untimed.
func TestStateChangesAreWhatTheDifferSees(t *testing.T) {
	for _, seed := range []int64{1, 7} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			g, err := NewGenerator(GeneratorOptions{Seed: seed, Projects: 40, MaxTables: 5})
			if err != nil {
				t.Fatal(err)
			}
			const from, to = 0, 240
			var want []string
			types := map[string][]string{}
			prev := map[string]*oms.Snapshot{}
			for tick := int64(from); tick <= to; tick++ {
				for _, id := range g.IDs() {
					d, ok := g.Describe(Moment{Tick: tick}, id, Full)
					if !ok {
						t.Fatalf("tick %d: %s not described", tick, id)
					}
					cur, err := oms.ParseSnapshot(d.Data)
					if err != nil {
						t.Fatal(err)
					}
					if p := prev[id]; p != nil {
						res, err := differ.Diff(p, cur, differ.Observation{Source: "oms://test", Time: g.timeOf(tick)})
						if err != nil {
							t.Fatal(err)
						}
						if len(res.Events) > 0 {
							w := fmt.Sprintf("%d %s", tick, id)
							want = append(want, w)
							for _, e := range res.Events {
								types[w] = append(types[w], e.Type)
							}
						}
					}
					prev[id] = cur
				}
			}
			var got []string
			for _, c := range g.stateChanges(from, to) {
				got = append(got, fmt.Sprintf("%d %s", c.Tick, c.Project))
			}
			if len(want) < 20 {
				t.Fatalf("only %d changes in %d ticks: the test needs a moving fleet", len(want), to-from)
			}
			for _, w := range want {
				if !slices.Contains(got, w) {
					t.Errorf("the differ sees a change at %s (%v); the journal does not list it", w, types[w])
				}
			}
			for _, c := range got {
				if !slices.Contains(want, c) {
					t.Errorf("the journal lists a change at %s; the differ sees none", c)
				}
			}
		})
	}
}

// What a load run's end costs the simulator: the states of 10,000
// projects at one tick.
func BenchmarkStates10k(b *testing.B) {
	g, err := NewGenerator(GeneratorOptions{Seed: 1, Projects: 10_000})
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]projectState, 0, 10_000)
	for i := range b.N {
		dst = g.states(int64(100+i), dst[:0])
	}
}

// GET /_sim/changes lists a generated fleet's state changes with the wall
// time each began; POST /_sim/freeze stops the clock, so a load run can
// let the service catch up with a fleet that no longer moves.
func TestChangesAndFreezeEndpoints(t *testing.T) {
	g := testGenerator(t, GeneratorOptions{Seed: 5, Projects: 30})
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := t0.Add(100 * time.Second)
	clockNow := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ts := StartTest(t, Options{Scenario: g, Tick: time.Second, Start: t0, Now: clockNow})
	call := func(method, path string, out any) int {
		req, err := http.NewRequest(method, ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}

	var got []StateChange
	if code := call(http.MethodGet, "/_sim/changes?from=10", &got); code != 200 {
		t.Fatalf("changes: HTTP %d", code)
	}
	want := g.stateChanges(10, 100)
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("%d changes served, want %d (and some)", len(got), len(want))
	}
	for i, c := range got {
		if c.Project != want[i].Project || c.Tick != want[i].Tick || !c.Time.Equal(t0.Add(time.Duration(c.Tick)*time.Second)) {
			t.Fatalf("change %d: %+v, want %+v at tick start %s", i, c, want[i], t0.Add(time.Duration(want[i].Tick)*time.Second))
		}
	}

	var st State
	if code := call(http.MethodPost, "/_sim/freeze", &st); code != 200 || st.Tick != 100 {
		t.Fatalf("freeze: HTTP %d, tick %d; want 100", code, st.Tick)
	}
	mu.Lock()
	now = t0.Add(500 * time.Second)
	mu.Unlock()
	if st = ts.State(); st.Tick != 100 {
		t.Errorf("tick %d 400 s after the freeze, want 100", st.Tick)
	}
	if code := call(http.MethodGet, "/_sim/changes?from=0&to=150", nil); code != 400 {
		t.Errorf("changes up to a tick not reached: HTTP %d, want 400", code)
	}
	if code := call(http.MethodGet, "/_sim/freeze", nil); code != 405 {
		t.Errorf("GET /_sim/freeze: HTTP %d, want 405", code)
	}
}
