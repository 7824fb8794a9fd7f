package poller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

// failPages is a Lister whose pages from `from` on fail as OMS throttling
// a read half-way would: the pages before are the real ones.
type failPages struct {
	Lister
	from int
}

func (f failPages) List(ctx context.Context, q oms.ListQuery, page int) (*oms.ProjectPage, error) {
	if page >= f.from && q.Related {
		return nil, &oms.APIError{HTTPStatus: 400, Code: oms.CodeThrottlingUser, Message: "Request was denied due to user flow control."}
	}
	return f.Lister.List(ctx, q, page)
}

// firstSight starts polling as Run does: discovery, then a cycle of every
// group (RunOnce is `omswatch once`, which tells no pause).
func firstSight(t testing.TB, p *Poller) Summary {
	t.Helper()
	if err := p.discover(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	return cycleAll(t, p)
}

// cycleAll runs one cycle of every group at the poller's clock and returns
// its summary.
func cycleAll(t testing.TB, p *Poller) Summary {
	t.Helper()
	s := &tally{}
	for g := range p.groups {
		p.cycle(t.Context(), g, false, s)
	}
	return s.s
}

// A fleet read that fails keeps the last listed state: the projects its
// pages did not reach are described only if due anyway (before, all of
// them were described: 960 DescribeProject calls in one throttled cycle),
// and the cycle says so once, to the log and the Observer.
func TestAFailedFleetReadDescribesOnlyWhatIsDue(t *testing.T) {
	const n = 400 // 3 pages of 150
	sim, _ := newSim(t, n, 9)
	api := cloudAPI(t, sim, omsapi.Options{Timeout: time.Minute}, omssim.DemoAccessKeySecret)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	obs, logs := &polls{}, &proctest.Buffer{}
	edit := func(o *Options) {
		o.List, o.Now, o.Observer, o.Logger = &oms.ListQuery{}, func() time.Time { return now }, obs, logs.Logger()
		o.FleetRetries, o.FleetBackoff = 2, time.Millisecond
	}
	p := newPoller(t, api, newMemStore(), &changes{}, edit)
	if s := runOnce(t, p); s.Failed != 0 {
		t.Fatalf("first sight: %+v", s)
	}
	live := p.Watched()
	obs.take()
	p.opts.Lister = failPages{Lister: api, from: 2}
	calls := func() (describes, lists int64) {
		c := api.Stats().Calls
		return c[omsapi.ActionDescribeProject], c[omsapi.ActionListProjects]
	}

	d0, l0 := calls()
	now = t0.Add(time.Minute)
	s := cycleAll(t, p)
	d1, l1 := calls()
	if d1 != d0 || s.Failed != 0 || s.FleetErr == nil || s.Unlisted == 0 || s.Polled+s.Unlisted != live {
		t.Errorf("a cycle whose read failed after page 1: %d describes, %+v; want none, %d projects polled or unlisted", d1-d0, s, live)
	}
	if l1-l0 != 1 {
		t.Errorf("%d list calls reached OMS, want page 1 only (page 2 fails in the test's Lister)", l1-l0)
	}
	if got := obs.take(); len(got) != s.Polled+1 || !slices.Contains(got, "fleet unread/"+oms.CodeThrottlingUser) {
		t.Errorf("the Observer heard %v", got)
	}
	if k := strings.Count(logs.String(), "fleet read failed"); k != 1 {
		t.Errorf("%d log lines about the failed read, want 1", k)
	}

	// A window later every project is due: those are described, as the
	// cycle would have anyway; nothing else is.
	now = t0.Add(2 * time.Hour)
	s = cycleAll(t, p)
	d2, _ := calls()
	if s.Unlisted != 0 || int(d2-d1) != live {
		t.Errorf("a window later with the read failing: %d describes, %+v; want every project, due, described", d2-d1, s)
	}
}

// A page that fails once more than the client retries is asked again
// within the cycle, and the read goes on as if nothing had happened.
func TestAFailedPageIsRetriedWithinTheCycle(t *testing.T) {
	sim, _ := newSim(t, 200, 9)
	api := cloudAPI(t, sim, omsapi.Options{Timeout: time.Minute}, omssim.DemoAccessKeySecret)
	p := newPoller(t, api, newMemStore(), &changes{}, func(o *Options) {
		o.List, o.FleetRetries, o.FleetBackoff = &oms.ListQuery{}, 3, time.Millisecond
	})
	runOnce(t, p)
	faults, err := omssim.ParseFaults("http503#3:ListProjects")
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.SetFaults(faults); err != nil {
		t.Fatal(err)
	}
	before := api.Stats().Calls
	s := cycleAll(t, p)
	after := api.Stats().Calls
	if s.FleetErr != nil || s.Unlisted != 0 || after[omsapi.ActionDescribeProject] != before[omsapi.ActionDescribeProject] {
		t.Errorf("%+v, %d describes: want the read to succeed on its third retry and nothing described",
			s, after[omsapi.ActionDescribeProject]-before[omsapi.ActionDescribeProject])
	}
	if got := after[omsapi.ActionListProjects] - before[omsapi.ActionListProjects]; got != 3+2 {
		t.Errorf("%d list calls, want 3 failed and 2 pages", got)
	}
}

// A two-tier cycle that reads the whole fleet finds what the discovery
// re-list would: a new project joins, one gone from OMS is removed; so the
// re-list that comes next is skipped, and runs again only when no cycle
// read the whole fleet since the last one.
func TestAWholeFleetReadStandsForTheRelist(t *testing.T) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 2, Projects: 300, MaxTables: 5})
	if err != nil {
		t.Fatal(err)
	}
	sc := &hiding{Scenario: g, hidden: map[string]bool{}}
	sim := omssim.StartTest(t, omssim.Options{Scenario: sc, ManualClock: true})
	api := cloudAPI(t, sim, omsapi.Options{Timeout: time.Minute}, omssim.DemoAccessKeySecret)
	h := &changes{}
	p := newPoller(t, api, newMemStore(), h, func(o *Options) { o.List = &oms.ListQuery{PageSize: 100} })
	ids := g.IDs()
	sc.hide(ids[1]) // created later
	if s := runOnce(t, p); s.Failed != 0 {
		t.Fatalf("first sight: %+v", s)
	}
	h.take()
	lists := func() int64 { return api.Stats().Calls[omsapi.ActionListProjects] }

	sc.hide(ids[0])
	sc.show(ids[1])
	s := cycleAll(t, p)
	if s.Removed != 1 || s.Changed != 1 || s.Failed != 0 {
		t.Fatalf("%+v: want the new project seen and the gone one removed by the cycle itself", s)
	}
	got := map[string]string{}
	for _, c := range h.take() {
		switch {
		case c.Removed:
			got[c.Project] = "removed"
		case c.Previous == nil && c.Current != nil:
			got[c.Project] = "discovered"
		}
	}
	if got[ids[0]] != "removed" || got[ids[1]] != "discovered" {
		t.Errorf("changes %v", got)
	}

	before := lists()
	if p.relist(t.Context()) || lists() != before {
		t.Errorf("the re-list after a whole fleet read listed again (%d calls)", lists()-before)
	}
	if !p.relist(t.Context()) || lists() != before+3 {
		t.Errorf("the re-list with no fleet read since the last one: %d calls, want its 3 pages", lists()-before)
	}
	p.opts.Lister = failPages{Lister: api, from: 2}
	p.opts.FleetRetries = -1
	cycleAll(t, p)
	p.opts.Lister = api
	before = lists()
	if !p.relist(t.Context()) || lists() != before+3 {
		t.Errorf("the re-list after a fleet read that failed: %d calls, want its 3 pages", lists()-before)
	}
}

// Projects that reach a final status are told in one INFO line per cycle
// with their count, not a line each: a fleet of thousands retiring its
// projects stays readable.
func TestEndedProjectsAreLoggedOncePerCycle(t *testing.T) {
	sim, _ := newSim(t, 400, 9)
	api := cloudAPI(t, sim, omsapi.Options{Timeout: time.Minute}, omssim.DemoAccessKeySecret)
	logs := &proctest.Buffer{}
	p := newPoller(t, api, newMemStore(), &changes{}, func(o *Options) {
		o.List, o.Logger = &oms.ListQuery{}, logs.Logger()
	})
	s := runOnce(t, p)
	if s.Removed < 2 {
		t.Fatalf("the generated fleet of 400 has %d projects in a final status; the test needs several", s.Removed)
	}
	var infos []string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "no longer polled") && strings.Contains(line, "level=INFO") {
			infos = append(infos, line)
		}
	}
	if len(infos) != 1 || !strings.Contains(infos[0], fmt.Sprintf("count=%d", s.Removed)) {
		t.Errorf("INFO lines about projects no longer polled: %q; want one with count=%d", infos, s.Removed)
	}
}
