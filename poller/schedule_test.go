package poller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

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
	if err := sleep(ctx, f.delay); err != nil {
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
		var logs logBuffer
		p := fakePoller(t, f, []string{"np_bug"}, func(o *Options) { o.Logger = logs.logger(); o.Workers = 1 })
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

// fakeTransport answers from a script of responses, noting when each
// request came.
type fakeTransport struct {
	mu    sync.Mutex
	times []time.Time
	next  func(n int) *Response
}

func (f *fakeTransport) Do(context.Context, string, map[string]any) (*Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.times = append(f.times, time.Now())
	return f.next(len(f.times)), nil
}

const okBody = `{"Success":true,"Data":{"Id":"np_a","Status":"RUNNING"}}`

func TestRetriesBackOffExponentiallyWithJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{next: func(n int) *Response {
			if n < 4 {
				return &Response{Status: http.StatusServiceUnavailable, Body: []byte(`{"Code":"ServiceUnavailable","Message":"busy"}`)}
			}
			return &Response{Status: 200, Body: []byte(okBody)}
		}}
		api, err := NewAPI(APIOptions{Transport: tr, Source: testSource, QPS: 1000, MaxInFlight: 1, Timeout: time.Second,
			Retry: RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Second, MaxBackoff: 3 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := api.Fetch(t.Context(), "np_a"); err != nil {
			t.Fatalf("the 4th try should succeed: %v", err)
		}
		for i, want := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
			gap := tr.times[i+1].Sub(tr.times[i])
			if gap < want/2 || gap > want {
				t.Errorf("wait before try %d: %s, want between %s and %s", i+2, gap, want/2, want)
			}
		}
	})
}

func TestThrottlingHintPausesTheClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{next: func(n int) *Response {
			if n == 1 {
				return &Response{Status: 400, RetryAfter: 7 * time.Second,
					Body: []byte(`{"Code":"Throttling.User","Message":"Request was denied due to user flow control."}`)}
			}
			return &Response{Status: 200, Body: []byte(okBody)}
		}}
		api, err := NewAPI(APIOptions{Transport: tr, Source: testSource, QPS: 10, MaxInFlight: 2, Timeout: time.Second,
			Retry: RetryPolicy{MaxAttempts: 2, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := api.Fetch(t.Context(), "np_a"); err != nil {
			t.Fatal(err)
		}
		if gap := tr.times[1].Sub(tr.times[0]); gap < 7*time.Second {
			t.Errorf("retried %s after a 7s hint", gap)
		}
		if r := api.Stats().Rate; r >= 10 {
			t.Errorf("rate %.1f/s after throttling, want below the configured 10/s", r)
		}
	})
}

func TestErrorClassification(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want failureKind
		code string
	}{
		{"503", &oms.APIError{HTTPStatus: 503, Code: "ServiceUnavailable"}, failTransient, "ServiceUnavailable"},
		{"500", &oms.APIError{HTTPStatus: 500, Code: "InternalError"}, failTransient, "InternalError"},
		{"throttling", &oms.APIError{HTTPStatus: 400, Code: "Throttling.User"}, failThrottled, "Throttling.User"},
		{"bad signature", &oms.APIError{HTTPStatus: 400, Code: "SignatureDoesNotMatch"}, failPermanent, "SignatureDoesNotMatch"},
		{"unknown key", &oms.APIError{HTTPStatus: 404, Code: "InvalidAccessKeyId.NotFound"}, failPermanent, "InvalidAccessKeyId.NotFound"},
		{"forbidden", &oms.APIError{HTTPStatus: 403, Code: "Forbidden.RAM"}, failPermanent, "Forbidden.RAM"},
		{"not found", &oms.APIError{HTTPStatus: 200, Code: "PROJECT_NOT_FOUND_ERROR", Business: true}, failFinal, "PROJECT_NOT_FOUND_ERROR"},
		{"success false", &oms.APIError{HTTPStatus: 200, Code: "INNER_ERROR", Business: true}, failTransient, "INNER_ERROR"},
		{"truncated", &oms.MalformedError{Reason: "truncated"}, failTransient, "MalformedResponse"},
		{"no data", &oms.MalformedError{Reason: "no data", Err: oms.ErrNoData}, failTransient, "NoData"},
		{"timeout", &TransportError{Action: "DescribeProject", Err: context.DeadlineExceeded}, failTransient, "NoAnswer"},
		{"no credentials", &CredentialsError{Err: errors.New("none")}, failPermanent, "NoCredentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := fmt.Errorf("describe: %w", &answerError{err: tc.err})
			if got := classify(err); got != tc.want {
				t.Errorf("classify = %d, want %d", got, tc.want)
			}
			if got := oms.ErrorCode(err); got != tc.code {
				t.Errorf("ErrorCode = %q, want %q", got, tc.code)
			}
		})
	}
}
