package poller

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

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
	obs, logs := &polls{}, &logBuffer{}
	edit := func(o *Options) {
		o.List, o.Now, o.Observer, o.Logger = &oms.ListQuery{}, func() time.Time { return now }, obs, logs.logger()
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
