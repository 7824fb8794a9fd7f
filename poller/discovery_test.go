package poller

import (
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

func TestDiscoveryPagesToTheEndWithFilters(t *testing.T) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 9, Projects: 400, MaxTables: 5})
	if err != nil {
		t.Fatal(err)
	}
	sim := omssim.StartTest(t, omssim.Options{Scenario: g, ManualClock: true})
	sim.Advance(10)
	all := g.Projects(sim.Moment())
	count := func(keep func(omssim.ProjectInfo) bool) int {
		n := 0
		for _, p := range all {
			if keep(p) {
				n++
			}
		}
		return n
	}
	cases := []struct {
		name  string
		q     oms.ListQuery
		want  int
		pages int
	}{
		{"everything in pages of 150", oms.ListQuery{PageSize: 150}, 400, 3},
		{"everything in pages of 7", oms.ListQuery{PageSize: 7}, 400, 58},
		{"type", oms.ListQuery{PageSize: 50, Types: []string{"SYNC"}},
			count(func(p omssim.ProjectInfo) bool { return p.Type == "SYNC" }), 0},
		{"two types (filtered here, the API takes one)", oms.ListQuery{PageSize: 50, Types: []string{"SYNC", "MIGRATION"}}, 400, 8},
		{"status", oms.ListQuery{PageSize: 30, Statuses: []string{"RUNNING", "FAILED"}},
			count(func(p omssim.ProjectInfo) bool { return p.Status == "RUNNING" || p.Status == "FAILED" }), 0},
		{"source endpoint", oms.ListQuery{PageSize: 40, SourceEndpointTypes: []string{"MYSQL"}},
			count(func(p omssim.ProjectInfo) bool { return p.SourceEndpointType == "MYSQL" }), 0},
		{"search key", oms.ListQuery{PageSize: 40, SearchKey: all[17].ID}, 1, 1},
	}
	api := cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == 0 {
				t.Fatal("the filter matches nothing: pick another")
			}
			p := newPoller(t, api, newMemStore(), &changes{}, func(o *Options) { q := tc.q; o.List = &q })
			before := api.Stats().Calls[omsapi.ActionListProjects]
			if err := p.discover(t.Context(), nil); err != nil {
				t.Fatal(err)
			}
			if got := len(p.projects); got != tc.want {
				t.Errorf("discovered %d projects, want %d", got, tc.want)
			}
			calls := int(api.Stats().Calls[omsapi.ActionListProjects] - before)
			if tc.pages > 0 && calls != tc.pages {
				t.Errorf("%d ListProjects calls, want %d pages", calls, tc.pages)
			}
		})
	}
}

// hiding is a scenario that hides projects once told to: they are neither
// listed nor described, as when a project is deleted.
type hiding struct {
	omssim.Scenario
	mu     sync.Mutex
	hidden map[string]bool
}

func (h *hiding) hide(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hidden[id] = true
}

func (h *hiding) show(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.hidden, id)
}

func (h *hiding) isHidden(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hidden[id]
}

func (h *hiding) Projects(m omssim.Moment) []omssim.ProjectInfo {
	var out []omssim.ProjectInfo
	for _, p := range h.Scenario.Projects(m) {
		if !h.isHidden(p.ID) {
			out = append(out, p)
		}
	}
	return out
}

func (h *hiding) Describe(m omssim.Moment, id string, d omssim.Detail) (omssim.Described, bool) {
	if h.isHidden(id) {
		return omssim.Described{}, false
	}
	return h.Scenario.Describe(m, id, d)
}

func TestRemovalIsConfirmedBeforeOmsProjectRemoved(t *testing.T) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 2, Projects: 6, MaxTables: 5})
	if err != nil {
		t.Fatal(err)
	}
	sc := &hiding{Scenario: g, hidden: map[string]bool{}}
	sim := omssim.StartTest(t, omssim.Options{Scenario: sc, ManualClock: true})
	api := cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
	store, h := newStore(t), &changes{}
	ids := g.IDs()
	p := newPoller(t, api, store, h, func(o *Options) {
		o.List, o.Projects, o.Mode = &oms.ListQuery{PageSize: 4}, ids[5:], DescribeAlways
	})
	runOnce(t, p)
	h.take()

	// Not found by DescribeProject but still listed: a failed poll, not a removal.
	faults, _ := omssim.ParseFaults("notfound@1:" + ids[0])
	_ = sim.SetFaults(faults)
	if s := runOnce(t, p); s.Failed != 1 || s.Removed != 0 {
		t.Fatalf("%+v: a listed project that DescribeProject misses is a failed poll", s)
	}
	_ = sim.SetFaults(nil)
	h.take()

	// Gone from both: removed, once, from the cycle (a listed project) or
	// from discovery (a static one confirmed by a search).
	sc.hide(ids[0])
	sc.hide(ids[5])
	s := runOnce(t, p)
	if s.Removed != 2 {
		t.Fatalf("%+v: want both projects removed", s)
	}
	removed := map[string]bool{}
	for _, c := range h.take() {
		if c.Removed {
			removed[c.Project] = true
			if c.Previous == nil || c.Current != nil {
				t.Errorf("%s: a removal carries the last snapshot and no new one", c.Project)
			}
		}
	}
	if !removed[ids[0]] || !removed[ids[5]] {
		t.Errorf("removals %v, want %s and %s", removed, ids[0], ids[5])
	}
	rec, err := store.Get(t.Context(), testSource, ids[0])
	if err != nil || !rec.Removed || rec.Snapshot != nil {
		t.Errorf("stored %+v %v: want a tombstone", rec, err)
	}
	before := p.Describes()
	if s := runOnce(t, p); s.Removed != 0 || s.Polled != 4 {
		t.Errorf("%+v: removed projects must not be polled again", s)
	}
	if got := p.Describes() - before; got != 4 {
		t.Errorf("%d describes for the 4 remaining projects: a removed project was described again", got)
	}
}

func TestReleasedProjectGetsOneFinalChange(t *testing.T) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 1, Projects: 1, Template: "migration", MaxTables: 5})
	if err != nil {
		t.Fatal(err)
	}
	id := g.IDs()[0]
	released := int64(-1)
	for tick := int64(0); tick < 2000 && released < 0; tick++ {
		d, _ := g.Describe(omssim.Moment{Tick: tick}, id, omssim.Full)
		if s, err := oms.ParseSnapshot(d.Data); err == nil && textField(s, "Status") == "RELEASED" {
			released = tick
		}
	}
	if released < 1 {
		t.Fatal("the migration template never releases its project")
	}
	sim := omssim.StartTest(t, omssim.Options{Scenario: g, ManualClock: true})
	sim.Advance(released - 1)
	api := cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
	store, h := newStore(t), &changes{}
	p := newPoller(t, api, store, h, func(o *Options) { o.Projects = []string{id} })
	runOnce(t, p)
	h.take()
	sim.Advance(1)
	if s := runOnce(t, p); s.Removed != 1 {
		t.Fatalf("%+v: want the project removed at RELEASED", s)
	}
	cs := h.take()
	if len(cs) != 1 || !cs[0].Removed || cs[0].Current == nil || textField(cs[0].Current, "Status") != "RELEASED" || cs[0].Previous == nil {
		t.Fatalf("%+v: want one final change carrying the RELEASED snapshot", cs)
	}
	describes := p.Describes()
	sim.Advance(3)
	runOnce(t, p)
	if p.Describes() != describes {
		t.Error("a released project was polled again")
	}
	// A new poller (a restart) reads the tombstone and does not poll it either.
	p2 := newPoller(t, api, store, h, func(o *Options) { o.Projects = []string{id} })
	runOnce(t, p2)
	if n := len(h.take()); n != 0 || p2.Describes() != 0 {
		t.Errorf("after a restart: %d changes, %d describes of a released project", n, p2.Describes())
	}
}

func TestTwoTierDescribesOnlyChangedProjects(t *testing.T) {
	const n = 300
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 11, Projects: n, MaxTables: 5})
	if err != nil {
		t.Fatal(err)
	}
	sim := omssim.StartTest(t, omssim.Options{Scenario: g, ManualClock: true})
	perCycle, polled := map[Mode]int64{}, map[Mode]int64{}
	refreshed := 0
	for _, mode := range []Mode{TwoTier, DescribeAlways} {
		// A generous per-request timeout: this test counts calls, and a
		// first-sight describe that times out on a loaded CI machine would
		// leave its project "never described" and inflate the next cycle.
		api := cloudAPI(t, sim, omsapi.Options{MaxInFlight: 8, Timeout: time.Minute}, omssim.DemoAccessKeySecret)
		h := &changes{}
		p := newPoller(t, api, newMemStore(), h, func(o *Options) { o.List = &oms.ListQuery{PageSize: 100}; o.Mode = mode })
		if first := runOnce(t, p); first.Failed != 0 { // first sight: everything is described
			t.Fatalf("%s: first sight had failed polls: %+v", mode, first)
		}
		h.take()
		sim.Advance(1)
		before := api.Stats().Calls
		s := &tally{} // the cycles alone: discovery has its own schedule
		for g := range p.groups {
			p.cycle(t.Context(), g, false, s)
		}
		if s.s.Failed != 0 {
			t.Fatalf("%s: %+v", mode, s.s)
		}
		polled[mode] = int64(s.s.Polled)
		after := api.Stats().Calls
		perCycle[mode] = after[omsapi.ActionDescribeProject] + after[omsapi.ActionListProjects] - before[omsapi.ActionDescribeProject] - before[omsapi.ActionListProjects]
		for _, c := range h.take() {
			if c.Current != nil && c.Previous != nil && c.Current.StateDigest() == c.Previous.StateDigest() {
				refreshed++
			}
		}
		t.Logf("%s: %d API calls for a cycle of %d projects (%d describes, %d list pages)", mode, perCycle[mode], n,
			after[omsapi.ActionDescribeProject]-before[omsapi.ActionDescribeProject], after[omsapi.ActionListProjects]-before[omsapi.ActionListProjects])
	}
	if perCycle[DescribeAlways] != polled[DescribeAlways] {
		t.Errorf("describe_always made %d calls for %d projects, want one each", perCycle[DescribeAlways], polled[DescribeAlways])
	}
	if perCycle[TwoTier]*2 > perCycle[DescribeAlways] {
		t.Errorf("two-tier made %d calls, describe_always %d: want less than half", perCycle[TwoTier], perCycle[DescribeAlways])
	}
	if refreshed == 0 {
		t.Error("no project's telemetry was refreshed from the list")
	}
}
