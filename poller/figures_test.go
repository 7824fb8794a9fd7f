package poller

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

// The figures of issue 18, counted on the simulator with the poller's
// clock moved by the test (no test here waits for time to pass):
//
//	go test ./poller -run Figure -v                          # 300 projects, ~20 s
//	OMSWATCH_FIGURES=1 go test ./poller -run Figure -v -timeout 30m   # and 1,000 at the defaults, ~5 min
//
// Each logs FIGURE lines; the assertions are on counts only.

// quietFleet is n generated projects that do not change (the simulator's
// clock stands still), polled through a client with the configuration's
// retries (3 attempts; short waits) and a poller at the configuration's
// defaults: two-tier, discovery in pages of 100, describe_refresh 90m,
// cycles every 30s (moved by the test through Options.Now).
type quietFleet struct {
	sim   *omssim.TestServer
	api   *omsapi.Client
	store *countingStore
	p     *Poller
	now   time.Time
}

func newQuietFleet(t testing.TB, n int, edit func(*Options)) *quietFleet {
	t.Helper()
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 3, Projects: n, MaxTables: 20})
	if err != nil {
		t.Fatal(err)
	}
	f := &quietFleet{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.sim = omssim.StartTest(t, omssim.Options{Scenario: g, ManualClock: true, Seed: 3, NonceCapacity: 1 << 20})
	f.api = cloudAPI(t, f.sim, omsapi.Options{QPS: 1e6, MaxInFlight: 8, Timeout: time.Minute,
		Retry: omsapi.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond}},
		omssim.DemoAccessKeySecret)
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	kv, err := NewKVStore(t.Context(), js, KVOptions{Bucket: "figures"})
	if err != nil {
		t.Fatal(err)
	}
	f.store = &countingStore{Store: kv}
	o := Options{Source: testSource, Fetcher: f.api, Lister: f.api, Store: f.store, Workers: 16,
		Handler: HandlerFunc(func(context.Context, Change) error { return nil }),
		List:    &oms.ListQuery{PageSize: 100}, FleetBackoff: time.Millisecond,
		Now: func() time.Time { return f.now }}
	if edit != nil {
		edit(&o)
	}
	if f.p, err = New(o); err != nil {
		t.Fatal(err)
	}
	if s := firstSight(t, f.p); s.Failed != 0 {
		t.Fatalf("first sight: %+v", s)
	}
	f.store.take()
	return f
}

// calls are the requests the client sent so far (every try).
func (f *quietFleet) calls() (describes, lists int64) {
	c := f.api.Stats().Calls
	return c[omsapi.ActionDescribeProject], c[omsapi.ActionListProjects]
}

// window runs cycles 30s apart (the discovery job every 5 min, as Run
// schedules it) and returns the calls of each cycle and how many cycles
// could not read the fleet.
func (f *quietFleet) window(t testing.TB, cycles int) (describes, lists []int64, unread int) {
	t.Helper()
	for c := 1; c <= cycles; c++ {
		f.now = f.now.Add(30 * time.Second)
		d0, l0 := f.calls()
		if c%10 == 0 {
			f.p.relist(t.Context())
		}
		s := cycleAll(t, f.p)
		if s.Failed != 0 {
			t.Fatalf("cycle %d: %+v", c, s)
		}
		if s.FleetErr != nil {
			unread++
		}
		d1, l1 := f.calls()
		describes, lists = append(describes, d1-d0), append(lists, l1-l0)
	}
	return describes, lists, unread
}

// hourFigures runs two describe_refresh windows of a quiet fleet of n and
// checks that the second spends one describe per project, that no cycle
// bursts, and that no re-list runs beside the fleet reads.
func hourFigures(t *testing.T, n int, refresh time.Duration) {
	fleet := newQuietFleet(t, n, func(o *Options) { o.DescribeRefresh = refresh })
	perWindow := int(refresh / (30 * time.Second))
	live := int64(fleet.p.Watched())
	pages := int64((n + oms.MaxPageSize - 1) / oms.MaxPageSize)
	for w := 1; w <= 2; w++ {
		ds, ls, _ := fleet.window(t, perWindow)
		var describes, lists, most int64
		for i := range ds {
			describes, lists, most = describes+ds[i], lists+ls[i], max(most, ds[i]+ls[i])
		}
		puts, metas := fleet.store.take()
		perCycle := float64(describes+lists) / float64(perWindow)
		t.Logf("FIGURE %d quiet projects, describe_refresh %s, window %d (%d cycles of 30s): %.2f API calls a cycle (%d pages and %.2f describes), most in one cycle %d; store writes: %d snapshots, %d states",
			n, refresh, w, perWindow, perCycle, lists/int64(perWindow), float64(describes)/float64(perWindow), most, puts, metas)
		if lists != pages*int64(perWindow) {
			t.Errorf("window %d: %d list calls, want %d pages a cycle and no re-list", w, lists, pages)
		}
		// After a first sight of the whole fleet its re-describes fall in
		// the last 3/5 of the first window: 5/3 of the even share there.
		even := max(live/int64(perWindow), 1)
		if limit := pages + 4*even*[]int64{5, 3}[w-1]/3; most > limit {
			t.Errorf("window %d: %d calls in one cycle, a burst (even share of describes %d, at most %d)", w, most, even, limit)
		}
		if w == 2 && describes != live {
			t.Errorf("window 2: %d describes for %d live projects, want each once", describes, live)
		}
		if puts != 0 || metas != describes {
			t.Errorf("window %d: %d snapshot writes and %d state writes for %d describes that found nothing new", w, puts, metas, describes)
		}
	}
}

// A quiet fleet costs its pages and an even share of its re-describes
// each cycle, in the steady state each project once per window; no cycle
// bursts. 300 projects and a 10 minute window here; 1,000 at the defaults
// with OMSWATCH_FIGURES=1 (before: 16.3 calls a cycle, 1,000 in one cycle
// every hour; with describe_refresh 1h: 15.27).
func TestFigureQuietFleet(t *testing.T) {
	hourFigures(t, 300, 10*time.Minute)
	if os.Getenv("OMSWATCH_FIGURES") != "" {
		t.Run("1000 at the defaults", func(t *testing.T) { hourFigures(t, 1000, DefaultDescribeRefresh) })
	}
}

// Under heavy throttling of every request a quiet fleet gets no
// describe: a page that fails is asked again, and a fleet read that fails
// all the same (most of them at 90%) keeps the last listed state (before:
// a failed read described every project it had not reached, 960 to 1,396
// describes).
func TestFigureThrottledFleet(t *testing.T) {
	n := 300
	if os.Getenv("OMSWATCH_FIGURES") != "" {
		n = 1000
	}
	fleet := newQuietFleet(t, n, nil)
	for _, spec := range []string{"throttle=1ms@0.3", "throttle=1ms@0.5", "throttle=1ms@0.9"} {
		faults, err := omssim.ParseFaults(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := fleet.sim.SetFaults(faults); err != nil {
			t.Fatal(err)
		}
		ds, ls, unread := fleet.window(t, 10)
		var describes, lists int64
		for i := range ds {
			describes, lists = describes+ds[i], lists+ls[i]
		}
		t.Logf("FIGURE %d quiet projects under %s, 10 cycles: %d DescribeProject, %d ListProjects requests (retries included), %d fleet reads failed",
			n, spec, describes, lists, unread)
		if describes != 0 {
			t.Errorf("%s: %d DescribeProject calls for a quiet fleet, want none", spec, describes)
		}
	}
}
