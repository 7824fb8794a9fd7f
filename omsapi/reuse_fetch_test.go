package omsapi

import (
	"bytes"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
)

// answers is a Recorder that keeps every DescribeProject answer, so a test
// can parse the very bytes the client parsed.
type answers struct {
	mu     sync.Mutex
	bodies map[string][][]byte // project -> answers in order
}

func (a *answers) Record(_ time.Time, _, project string, body []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.bodies == nil {
		a.bodies = map[string][][]byte{}
	}
	a.bodies[project] = append(a.bodies[project], bytes.Clone(body))
	return nil
}

// last is the project's last answer.
func (a *answers) last(t testing.TB, project string) []byte {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	bs := a.bodies[project]
	if len(bs) == 0 {
		t.Fatalf("no answer recorded for %s", project)
	}
	return bs[len(bs)-1]
}

// bigSim serves one generated project of tables tables on a manual clock.
func bigSim(t testing.TB, tables int) (*omssim.TestServer, string) {
	t.Helper()
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 11, Projects: 1, BigTables: tables})
	if err != nil {
		t.Fatal(err)
	}
	return omssim.StartTest(t, omssim.Options{Scenario: g, ManualClock: true, Seed: 11}), g.IDs()[0]
}

// checkSameAsParse checks that got is exactly what oms.ParseSnapshot makes
// of body: JSON, digest and tree.
func checkSameAsParse(t testing.TB, got *oms.Snapshot, body []byte) {
	t.Helper()
	want, err := oms.ParseSnapshot(body)
	if err != nil {
		t.Fatalf("ParseSnapshot of the answer: %v", err)
	}
	if !bytes.Equal(got.JSON(), want.JSON()) {
		t.Fatalf("canonical JSON differs from ParseSnapshot's (%d vs %d bytes)", len(got.JSON()), len(want.JSON()))
	}
	if got.Digest() != want.Digest() {
		t.Fatalf("digest %s, ParseSnapshot's %s", got.Digest(), want.Digest())
	}
	if !reflect.DeepEqual(got.Tree(), want.Tree()) {
		t.Fatal("tree differs from ParseSnapshot's")
	}
}

// TestFetchReusingMatchesParse fetches a big project again and again (the
// same answer, answers a tick and many ticks apart) and checks each
// snapshot against ParseSnapshot of the same bytes, with the reuse cache
// on and off.
func TestFetchReusingMatchesParse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		tables   int
		budget   int64
		wantHits bool
	}{
		{"cache on", 2000, 0, true},
		{"cache off", 2000, -1, false},
		{"an answer too small to reuse", 300, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, id := bigSim(t, tc.tables)
			rec := &answers{}
			api := cloudClient(t, sim, Options{Recorder: rec, ReuseCacheBytes: tc.budget}, omssim.DemoAccessKeySecret)
			for i, advance := range []int64{0, 0, 1, 1, 7, 40} {
				sim.Advance(advance)
				got, err := api.Fetch(t.Context(), id)
				if err != nil {
					t.Fatalf("fetch %d: %v", i, err)
				}
				checkSameAsParse(t, got, rec.last(t, id))
			}
			st := api.reuse.stats()
			if tc.wantHits && (st.hits != 5 || st.entries != 1) {
				t.Errorf("cache %+v: want 5 hits and the project cached", st)
			}
			if !tc.wantHits && st != (reuseStats{}) {
				t.Errorf("cache %+v: want it unused", st)
			}
		})
	}
}

// TestFetchFailureKeepsReuse: a failed poll leaves the project's cached
// snapshot as it was, and the next successful one still matches
// ParseSnapshot.
func TestFetchFailureKeepsReuse(t *testing.T) {
	sim, id := bigSim(t, 300)
	rec := &answers{}
	api := cloudClient(t, sim, Options{Recorder: rec}, omssim.DemoAccessKeySecret)
	api.reuse.minAnswer = 0 // a smaller project makes a quicker test
	key := reuseKey{testSource, id}
	for _, kind := range []omssim.FaultKind{omssim.FaultTruncated, omssim.FaultInvalid, omssim.FaultBusiness,
		omssim.FaultNotFound, omssim.FaultHTTP500} {
		t.Run(string(kind), func(t *testing.T) {
			sim.Advance(1)
			good, err := api.Fetch(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.SetFaults([]omssim.Fault{{Kind: kind, Count: 1, Target: id}}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sim.SetFaults(nil) })
			sim.Advance(1)
			if _, err := api.Fetch(t.Context(), id); err == nil {
				t.Fatalf("fetch under fault %s succeeded", kind)
			}
			if got := api.reuse.get(key); got != good {
				t.Fatalf("after a failed poll the cache holds %p, want the last good snapshot %p", got, good)
			}
			got, err := api.Fetch(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			checkSameAsParse(t, got, rec.last(t, id))
		})
	}
}

// TestFetchReusingConcurrent has workers fetch overlapping projects while
// the simulator moves on, through a cache too small for all of them (so
// entries are evicted and replaced under -race); every snapshot must be
// what ParseSnapshot makes of one of that project's answers.
func TestFetchReusingConcurrent(t *testing.T) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 5, Projects: 8, MinTables: 50, MaxTables: 100})
	if err != nil {
		t.Fatal(err)
	}
	sim := omssim.StartTest(t, omssim.Options{Scenario: g, ManualClock: true, Seed: 5})
	ids := g.IDs()
	var biggest int64
	for _, id := range ids {
		d, _ := g.Describe(omssim.Moment{}, id, omssim.Full)
		s, err := oms.ParseSnapshot(d.Data)
		if err != nil {
			t.Fatal(err)
		}
		biggest = max(biggest, reuseCost(s, len(d.Data)))
	}
	rec := &answers{}
	// Room for about three of the eight projects.
	api := cloudClient(t, sim, Options{Recorder: rec, ReuseCacheBytes: 3 * biggest}, omssim.DemoAccessKeySecret)
	api.reuse.minAnswer = 0 // small projects make a quicker test
	type fetched struct {
		id   string
		snap *oms.Snapshot
	}
	var (
		mu  sync.Mutex
		all []fetched
		wg  sync.WaitGroup
	)
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				sim.Advance(1)
			}
		}
	})
	var workers sync.WaitGroup
	for w := range 6 {
		workers.Go(func() {
			for i := range 12 {
				id := ids[(w+i*3)%len(ids)]
				s, err := api.Fetch(t.Context(), id)
				if err != nil {
					t.Errorf("fetch %s: %v", id, err)
					return
				}
				mu.Lock()
				all = append(all, fetched{id, s})
				mu.Unlock()
			}
		})
	}
	workers.Wait()
	close(stop)
	wg.Wait()

	// Each snapshot must be ParseSnapshot's of one of its project's answers.
	want := map[string]map[string]string{} // project -> canonical JSON -> digest
	for id, bodies := range rec.bodies {
		want[id] = map[string]string{}
		for _, b := range bodies {
			s, err := oms.ParseSnapshot(b)
			if err != nil {
				t.Fatal(err)
			}
			want[id][string(s.JSON())] = s.Digest()
		}
	}
	for _, f := range all {
		d, ok := want[f.id][string(f.snap.JSON())]
		if !ok || d != f.snap.Digest() {
			t.Fatalf("project %s: a snapshot (digest %s) that ParseSnapshot makes of none of its answers", f.id, f.snap.Digest())
		}
	}
	checkReuseCache(t, api.reuse)
	if st := api.reuse.stats(); st.hits == 0 || st.entries >= len(ids) {
		t.Errorf("cache %+v: want some hits, and fewer entries than the %d projects", st, len(ids))
	}
}

// BenchmarkFetchBigProject is Client.Fetch of a 5,000-table project (an
// answer of about 1.2 MB) from the in-process simulator, one tick later
// each time so the project moves, with the reuse cache off (every answer
// parsed by oms.ParseSnapshot), on (each answer parsed reusing the
// previous), and on but too small to keep the project (every parse a miss:
// what a cache that thrashes costs). ns/op includes the simulator building
// and serving the answer (about 5 ms) and the HTTP exchange, so the ratio
// understates the parse's own gain:
//
//	go test ./poller -run '^$' -bench FetchBigProject -count 5
func BenchmarkFetchBigProject(b *testing.B) {
	for _, tc := range []struct {
		name   string
		budget int64
	}{{"reuse=off", -1}, {"reuse=on", 0}, {"reuse=miss", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			sim, id := bigSim(b, 5000)
			api := cloudClient(b, sim, Options{ReuseCacheBytes: tc.budget}, omssim.DemoAccessKeySecret)
			if _, err := api.Fetch(b.Context(), id); err != nil { // the first describe: nothing to reuse
				b.Fatal(err)
			}
			for b.Loop() {
				b.StopTimer()
				sim.Advance(1)
				b.StartTimer()
				if _, err := api.Fetch(b.Context(), id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
