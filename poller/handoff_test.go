package poller

import (
	"cmp"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

// overlap is a Handler that measures how many hand-offs run at once: each
// takes a little while, as a real one (the pipeline's round trips to NATS)
// does.
type overlap struct {
	changes
	now, most atomic.Int32
	hold      time.Duration // how long a hand-off takes (default 5 ms)
}

func (o *overlap) Handle(ctx context.Context, ch Change) error {
	n := o.now.Add(1)
	defer o.now.Add(-1)
	for {
		m := o.most.Load()
		if n <= m || o.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(cmp.Or(o.hold, 5*time.Millisecond))
	return o.changes.Handle(ctx, ch)
}

// Sixteen workers poll, but at most Handoffs of them turn an answer into
// a change at the same time (a page of the list hands 150 off at once),
// and a describe gives its slot up while it waits for OMS: with one slot,
// slow answers still overlap. A cycle that runs past the start of the
// next is behind: it hands off with every worker.
func TestHandoffsAreBounded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		handoffs int
		list     bool
		behind   bool
	}{
		{"from the list, 3 slots", 3, true, false},
		{"described, 1 slot", 1, false, false},
		{"behind its schedule", 3, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, ids := newSim(t, 40, 5)
			api := cloudAPI(t, sim, omsapi.Options{QPS: 10000, MaxInFlight: 16}, omssim.DemoAccessKeySecret)
			h := &overlap{}
			if tc.behind { // 40 hand-offs of 100 ms, 3 at a time, take 1.3 s: a second is the schedule
				h.hold = 100 * time.Millisecond
			}
			p := newPoller(t, api, newStore(t), h, func(o *Options) {
				o.Workers, o.Handoffs = 16, tc.handoffs
				if tc.behind {
					o.Schedule.Default = "@every 1s"
				}
				if tc.list {
					o.List, o.Mode = &oms.ListQuery{}, TwoTier
					o.DescribeRate = 0.001 // no describe: every project taken from its entry
				} else {
					o.Projects, o.Lister = ids, nil
				}
			})
			if !tc.list {
				faults, err := omssim.ParseFaults("latency=100ms@1:DescribeProject")
				if err != nil {
					t.Fatal(err)
				}
				if err := sim.SetFaults(faults); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			if s := runOnce(t, p); s.Changed+s.Removed != len(ids) {
				t.Fatalf("first sight: %+v, want all %d projects", s, len(ids))
			}
			if tc.list && p.FromList() < int64(len(ids)-1) {
				t.Fatalf("%d of %d projects taken from the list, want all but the budget's first describe", p.FromList(), len(ids))
			}
			if most := int(h.most.Load()); tc.behind && most <= tc.handoffs {
				t.Errorf("%d hand-offs at once in a cycle behind its schedule, want more than %d (Handoffs)", most, tc.handoffs)
			} else if most != tc.handoffs && !tc.behind {
				t.Errorf("%d hand-offs at once, want %d (Handoffs)", most, tc.handoffs)
			}
			if tc.behind {
				// The next cycle starts behind, with every worker, rather
				// than a schedule's interval later.
				if !p.lagging[0].Load() {
					t.Fatal("a cycle that ended behind its schedule is not remembered as behind")
				}
				next := &tally{}
				p.cycle(t.Context(), 0, false, next)
				if !next.behind.Equal(next.start) {
					t.Errorf("the cycle after one that ended behind was behind only %s after it began", next.behind.Sub(next.start))
				}
			}
			// 40 describes of 100 ms one at a time would take 4 s.
			if took := time.Since(start); !tc.list && took > 2*time.Second {
				t.Errorf("the round took %s: describes waited for the one slot", took.Round(time.Millisecond))
			}
		})
	}
}
