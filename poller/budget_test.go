package poller

import (
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

// manualClock is a poller clock the test moves: the describe budget
// refills only when it says so.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestDescribeBudgetTakesStateFromTheList: with a describe budget smaller
// than the fleet, first sightings and changes beyond it come from the list
// entries, every project's state is still the one OMS answers, and a
// member the list never carries (TransferMapping) appearing at the first
// describe of a listed project is no change.
func TestDescribeBudgetTakesStateFromTheList(t *testing.T) {
	const n = 120
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 7, Projects: n, MaxTables: 5})
	if err != nil {
		t.Fatal(err)
	}
	sim := omssim.StartTest(t, omssim.Options{Scenario: g, ManualClock: true})
	api := cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
	clock := &manualClock{now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	h := &changes{}
	p := newPoller(t, api, newMemStore(), h, func(o *Options) {
		o.List = &oms.ListQuery{}
		o.Now = clock.Now
		o.DescribeRate = 0.2 // a burst of 6: first sightings take it down to half, changes take the rest
	})

	first := runOnce(t, p)
	if first.Failed != 0 || first.Polled != n {
		t.Fatalf("first sight: %+v", first)
	}
	if d, l := p.Describes(), p.FromList(); d != 4 || l != n-4 {
		t.Errorf("first sight: %d describes and %d from the list, want 4 and %d", d, l, n-4)
	}
	cs := h.take()
	if len(cs) != n {
		t.Fatalf("first sight handed off %d changes, want %d", len(cs), n)
	}
	for _, c := range cs {
		if c.Previous != nil || c.Current == nil {
			t.Fatalf("%s: a first sighting without its snapshot", c.Project)
		}
	}

	truth := func(_ int64, id string) string {
		d, ok := g.Describe(sim.Moment(), id, omssim.Full)
		if !ok {
			t.Fatalf("the generator does not know %s", id)
		}
		s, err := oms.ParseSnapshot(d.Data)
		if err != nil {
			t.Fatal(err)
		}
		return textField(s, "Status")
	}
	described := map[string]bool{}
	for tick := int64(1); tick <= 8; tick++ {
		sim.Advance(1)
		clock.add(time.Minute) // the budget refills
		before := p.Describes()
		s := runOnce(t, p)
		if s.Failed != 0 {
			t.Fatalf("tick %d: %+v", tick, s)
		}
		if spent := p.Describes() - before; spent > 6 {
			t.Errorf("tick %d: %d describes, more than the budget's burst of 6", tick, spent)
		}
		for _, c := range h.take() {
			if c.Current == nil {
				continue
			}
			if got, want := textField(c.Current, "Status"), truth(sim.Moment().Tick, c.Project); got != want {
				t.Errorf("tick %d, %s: status %s, OMS says %s", tick, c.Project, got, want)
			}
			if c.Previous == nil {
				t.Errorf("tick %d, %s: seen for the first time twice", tick, c.Project)
				continue
			}
			if c.Previous.Member("TransferMapping") == nil && c.Current.Member("TransferMapping") != nil {
				t.Errorf("tick %d, %s: TransferMapping, which the list lacks, became a change at the first describe", tick, c.Project)
			}
			if c.Current.Member("TransferMapping") != nil {
				described[c.Project] = true
			}
		}
	}
	if len(described) == 0 {
		t.Error("no project listed at first sight was described later: the budget never reached them")
	}
}
