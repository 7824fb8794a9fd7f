package poller

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/omswatch/omswatch/internal/ctxsleep"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
)

// fakeFleet is a Fetcher over made-up projects (for synctest bubbles, where
// no HTTP server runs): it answers each describe after delay, noting when.
type fakeFleet struct {
	mu       sync.Mutex
	calls    map[string][]time.Time
	inFlight map[string]int
	overlap  bool
	delay    time.Duration
	panicID  string
}

func newFakeFleet() *fakeFleet {
	return &fakeFleet{calls: map[string][]time.Time{}, inFlight: map[string]int{}}
}

func (f *fakeFleet) Fetch(ctx context.Context, id string) (*oms.Snapshot, error) {
	f.mu.Lock()
	f.calls[id] = append(f.calls[id], time.Now())
	f.inFlight[id]++
	if f.inFlight[id] > 1 {
		f.overlap = true
	}
	n := len(f.calls[id])
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight[id]--; f.mu.Unlock() }()
	if id == f.panicID {
		panic("a bug in a job")
	}
	if err := ctxsleep.Sleep(ctx, f.delay); err != nil {
		return nil, err
	}
	imp := "LOW"
	if strings.HasPrefix(id, "np_high") {
		imp = "HIGH"
	}
	return oms.Canonicalize(map[string]any{"Id": id, "Name": id, "Status": "RUNNING", "Importance": imp,
		"Steps": []any{map[string]any{"Name": "INCR_TRANSFER", "Status": "RUNNING", "Progress": n % 100}}})
}

func (f *fakeFleet) count(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls[id])
}

// runFor runs the poller for d of bubble time and stops it.
func runFor(t *testing.T, p *Poller, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	time.Sleep(d)
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func fakePoller(t *testing.T, f Fetcher, ids []string, edit func(*Options)) *Poller {
	t.Helper()
	o := Options{Source: testSource, Fetcher: f, Store: newMemStore(), Handler: &changes{}, Projects: ids,
		Mode: DescribeAlways, Schedule: Schedule{Default: "@every 30s"}}
	if edit != nil {
		edit(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScheduleGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeFleet()
		p := fakePoller(t, f, []string{"np_high1", "np_low1"}, func(o *Options) {
			o.Schedule.Groups = []Group{{Name: "high", Match: GroupMatch{Importance: []string{"HIGH"}}, Spec: "*/10 * * * * *"}}
		})
		// Until a project's first snapshot, its importance is unknown: both
		// start in the default group, then HIGH moves to its own.
		runFor(t, p, 5*time.Minute+time.Second)
		if hi, lo := f.count("np_high1"), f.count("np_low1"); hi < 25 || lo < 9 || lo > 11 {
			t.Errorf("polls in 5 minutes: HIGH %d (want ~30 at */10s), LOW %d (want 10 at @every 30s)", hi, lo)
		}
	})
}

func TestScheduleSkipsACycleStillRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeFleet()
		f.delay = 25 * time.Second // longer than the 10s period
		p := fakePoller(t, f, []string{"np_slow"}, func(o *Options) { o.Schedule.Default = "@every 10s" })
		runFor(t, p, 100*time.Second)
		if n := f.count("np_slow"); n < 3 || n > 4 {
			t.Errorf("%d polls in 100s of 25s polls every 10s: want 3-4 (cycles still running are skipped)", n)
		}
		if f.overlap {
			t.Error("a project was polled twice at once")
		}
	})
}

func TestSchedulePanicIsRecoveredAndLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeFleet()
		f.panicID = "np_bug"
		var logs proctest.Buffer
		p := fakePoller(t, f, []string{"np_bug"}, func(o *Options) { o.Logger = logs.Logger(); o.Workers = 1 })
		runFor(t, p, 95*time.Second)
		if n := f.count("np_bug"); n != 3 {
			t.Errorf("%d polls in 95s every 30s: want 3 (each panic recovered, the schedule goes on)", n)
		}
		if !strings.Contains(logs.String(), "a bug in a job") {
			t.Errorf("the panic was not logged:\n%s", logs.String())
		}
	})
}

func TestShutdownCancelsPollsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeFleet()
		f.delay = time.Hour
		p := fakePoller(t, f, []string{"np_a"}, nil)
		start := time.Now()
		runFor(t, p, 31*time.Second) // the first cycle starts at 30s and hangs
		if took := time.Since(start); took > 32*time.Second {
			t.Errorf("Run took %s to stop: the running poll was not cancelled", took)
		}
	})
}

func TestJitterSpreadsACycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeFleet()
		ids := make([]string, 200)
		for i := range ids {
			ids[i] = fmt.Sprintf("np_p%03d", i)
		}
		p := fakePoller(t, f, ids, func(o *Options) { o.Schedule.Jitter = 5 * time.Second })
		runFor(t, p, 36*time.Second) // the first cycle starts at 30s
		seconds := map[int64]int{}
		var first, last time.Time
		for _, id := range ids {
			at := f.calls[id][0]
			seconds[at.Unix()]++
			if first.IsZero() || at.Before(first) {
				first = at
			}
			if at.After(last) {
				last = at
			}
		}
		if spread := last.Sub(first); spread < 4*time.Second || spread >= 5*time.Second {
			t.Errorf("200 projects spread over %s, want most of the 5s jitter", spread)
		}
		for s, n := range seconds {
			if n > 80 {
				t.Errorf("%d of 200 projects fired in second %d", n, s)
			}
		}
	})
}

func TestSchedulesRunInUTCUnlessAZoneIsNamed(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		loc  *time.Location
		want int // hour of the day, UTC, of the first poll
	}{
		{"UTC by default", nil, 3},
		{"a named zone", shanghai, 19}, // 03:00 in Shanghai is 19:00 UTC
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeFleet()
				p := fakePoller(t, f, []string{"np_a"}, func(o *Options) {
					o.Schedule.Default, o.Schedule.Location = "0 0 3 * * *", tc.loc
				})
				runFor(t, p, 24*time.Hour)
				if len(f.calls["np_a"]) != 1 {
					t.Fatalf("%d polls in a day, want 1", len(f.calls["np_a"]))
				}
				if h := f.calls["np_a"][0].UTC().Hour(); h != tc.want {
					t.Errorf("polled at %02d:00 UTC, want %02d:00", h, tc.want)
				}
			})
		})
	}
}

func TestBadSpecsAreErrors(t *testing.T) {
	for _, spec := range []string{"", "TZ=0", "CRON_TZ=UTC", "* * *", "@every nope"} {
		t.Run(spec, func(t *testing.T) {
			if _, err := ParseSpec(spec); err == nil {
				t.Errorf("spec %q accepted", spec)
			}
		})
	}
}
