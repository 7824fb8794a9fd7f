package poller

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

// polls records what an Observer is told.
type polls struct {
	mu  sync.Mutex
	got []string
}

func (o *polls) Polled(result, code string, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if took < 0 {
		result += " (negative duration)"
	}
	o.got = append(o.got, result+"/"+code)
}

func (o *polls) FleetUnread(code string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, "fleet unread/"+code)
}

func (o *polls) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	got := o.got
	o.got = nil
	slices.Sort(got)
	return got
}

// The Observer is told each poll's result, with the OMS error code of a
// failed one, and nothing about projects that were not polled.
func TestObserverIsToldEachPoll(t *testing.T) {
	sim, ids := newSim(t, 2, 7)
	cases := []struct {
		name   string
		secret string
		rounds int
		want   []string
	}{
		{"first sight, then no change", omssim.DemoAccessKeySecret, 2,
			[]string{"changed/", "changed/", "unchanged/", "unchanged/"}},
		// The refusal pauses the account: the other project is not polled.
		{"a wrong secret", "not-the-secret", 1, []string{"failed/SignatureDoesNotMatch"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obs := &polls{}
			api := cloudAPI(t, sim, omsapi.Options{}, tc.secret)
			p := newPoller(t, api, newStore(t), &changes{}, func(o *Options) {
				o.Projects, o.Lister, o.Mode, o.Observer = ids, nil, DescribeAlways, obs
				o.Workers = 1 // one poll at a time: none is in flight when OMS refuses the account
			})
			for range tc.rounds {
				runOnce(t, p)
			}
			if got := obs.take(); !slices.Equal(got, tc.want) {
				t.Errorf("observed %q, want %q", got, tc.want)
			}
			if p.Cycles() != int64(tc.rounds) || p.Watched() != len(ids) {
				t.Errorf("Cycles %d (want %d), Watched %d (want %d)", p.Cycles(), tc.rounds, p.Watched(), len(ids))
			}
		})
	}
}

// PollAtStart polls every project as Run starts, then on the schedule;
// without it the first poll waits for the schedule.
func TestPollAtStart(t *testing.T) {
	for _, atStart := range []bool{false, true} {
		t.Run(fmt.Sprint(atStart), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeFleet()
				p := fakePoller(t, f, []string{"np_a", "np_b"}, func(o *Options) {
					o.PollAtStart, o.Schedule.Default = atStart, "@every 1m"
				})
				runFor(t, p, 10*time.Second)
				want := 0
				if atStart {
					want = 1
				}
				if a, b := f.count("np_a"), f.count("np_b"); a != want || b != want {
					t.Errorf("polls in the first 10s: %d and %d, want %d each", a, b, want)
				}
				if got := p.Cycles(); got != int64(want) {
					t.Errorf("Cycles() = %d, want %d", got, want)
				}
			})
		})
	}
}

// When Run stops, the polls in flight finish within StopGrace (their
// changes handed off) and no new poll starts; without a grace they are
// cancelled.
func TestStopGraceLetsPollsInFlightFinish(t *testing.T) {
	cases := []struct {
		name        string
		grace       time.Duration
		wantChanges int
	}{
		{"no grace", 0, 0},
		{"grace longer than a poll", 10 * time.Second, 2},
		{"grace shorter than a poll", time.Second, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeFleet()
				f.delay = 5 * time.Second
				h := &changes{}
				p := fakePoller(t, f, []string{"np_a", "np_b"}, func(o *Options) {
					o.PollAtStart, o.StopGrace, o.Handler, o.Schedule.Jitter = true, tc.grace, h, 0
				})
				runFor(t, p, 2*time.Second) // stops while both polls wait for OMS
				if got := len(h.take()); got != tc.wantChanges {
					t.Errorf("%d changes handed off, want %d", got, tc.wantChanges)
				}
				if a, b := f.count("np_a"), f.count("np_b"); a != 1 || b != 1 {
					t.Errorf("polls started: %d and %d, want 1 each", a, b)
				}
			})
		})
	}
}
