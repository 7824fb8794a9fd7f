package poller

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/lease"
	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

// fetchLog records which replica described which project.
type fetchLog struct {
	mu sync.Mutex
	by map[string]map[string]int // project -> replica -> describes
}

func (f *fetchLog) add(replica, project string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.by == nil {
		f.by = map[string]map[string]int{}
	}
	if f.by[project] == nil {
		f.by[project] = map[string]int{}
	}
	f.by[project][replica]++
}

// take returns the log so far and starts a new one.
func (f *fetchLog) take() map[string]map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.by
	f.by = nil
	return out
}

// haReplica is one poller with its leases, on its own NATS connection.
type haReplica struct {
	name   string
	leases *lease.Set
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan struct{}
}

// haCluster is the replicas of a test on one NATS server and simulator.
type haCluster struct {
	t       *testing.T
	url     string
	sim     *omssim.TestServer
	ids     []string // the projects watched
	live    []string // those not in a final status, polled every cycle
	fetches fetchLog

	mu       sync.Mutex
	replicas []*haReplica
	overlaps []string
}

const (
	haTTL    = 2 * time.Second
	haRenew  = 500 * time.Millisecond
	haShards = 32
)

// start starts a replica: leases and a poller describing every project
// every second, each on ctx's child.
func (c *haCluster) start(name string) *haReplica {
	t := c.t
	t.Helper()
	nc, err := natsembed.Connect(t.Context(), natsembed.ConnOptions{URL: c.url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := NewKVStore(t.Context(), js, KVOptions{Bucket: "ha-snapshots"})
	if err != nil {
		t.Fatal(err)
	}
	leases, err := lease.New(t.Context(), js, lease.Options{Bucket: "ha-leases", Group: testSource, Replica: name,
		TTL: haTTL, RenewInterval: haRenew, Shards: haShards})
	if err != nil {
		t.Fatal(err)
	}
	api := cloudAPI(t, c.sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
	fetch := FetcherFunc(func(ctx context.Context, id string) (*oms.Snapshot, error) {
		c.fetches.add(name, id)
		return api.Fetch(ctx, id)
	})
	p := newPoller(t, api, store, &changes{}, func(o *Options) {
		o.Fetcher, o.Lister, o.Projects, o.Mode, o.Leases = fetch, nil, c.ids, DescribeAlways, leases
		o.Schedule = Schedule{Default: "@every 1s"}
	})
	ctx, cancel := context.WithCancel(t.Context())
	r := &haReplica{name: name, leases: leases, nc: nc, cancel: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() { _ = leases.Run(ctx) })
	wg.Go(func() { _ = p.Run(ctx) })
	go func() {
		wg.Wait()
		close(r.done)
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	c.mu.Lock()
	c.replicas = append(c.replicas, r)
	c.mu.Unlock()
	return r
}

// watchOverlaps checks, every few milliseconds until ctx ends, that no
// project is owned by two replicas (stopped ones included).
func (c *haCluster) watchOverlaps(ctx context.Context) {
	for ctx.Err() == nil {
		c.mu.Lock()
		rs := slices.Clone(c.replicas)
		c.mu.Unlock()
		for _, id := range c.ids {
			var owners []string
			for _, r := range rs {
				if r.leases.Owns(id) {
					owners = append(owners, r.name)
				}
			}
			if len(owners) > 1 {
				c.mu.Lock()
				c.overlaps = append(c.overlaps, fmt.Sprintf("%s owned by %v", id, owners))
				c.mu.Unlock()
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exclusive checks that over at least a few cycles, and until every live
// project was described (for at most 15s: the machine may be loaded), each
// was described by one replica only; it returns how many projects each
// replica described. (A project in a final status is polled once, by
// whoever holds it first, and never again.)
func (c *haCluster) exclusive(cycles int) map[string]int {
	t := c.t
	t.Helper()
	c.fetches.take()
	start := time.Now()
	time.Sleep(time.Duration(cycles) * time.Second)
	for time.Since(start) < 15*time.Second && !c.allDescribed() {
		time.Sleep(100 * time.Millisecond)
	}
	log := c.fetches.take()
	per := map[string]int{}
	for _, id := range c.live {
		var by []string
		for r := range log[id] {
			by = append(by, r)
		}
		if len(by) != 1 {
			t.Errorf("project %s described by %v over %s; want exactly one replica", id, by, time.Since(start).Round(time.Second))
			continue
		}
		per[by[0]]++
	}
	return per
}

// allDescribed reports whether every live project was described since the
// fetch log was last taken.
func (c *haCluster) allDescribed() bool {
	c.fetches.mu.Lock()
	defer c.fetches.mu.Unlock()
	for _, id := range c.live {
		if len(c.fetches.by[id]) == 0 {
			return false
		}
	}
	return true
}

// balanced reports whether the replicas settled on their shares of the
// leases (they may first split them otherwise, as each grabs free leases
// before it sees the other): between them they hold every lease, each
// sees all of them, and no lease changed hands for a few renew intervals,
// in which each replica's rounds would have handed over any lease it does
// not want. (Which leases each should hold is package lease's business,
// tested there.)
func balanced(rs ...*haReplica) func() bool {
	var last []lease.Stats
	var since time.Time
	return func() bool {
		var now []lease.Stats
		held := 0
		for _, r := range rs {
			s := r.leases.Stats()
			held += s.Held
			s.Held = 0 // what must hold still are the changes, counted apart
			now = append(now, s)
		}
		if !slices.Equal(now, last) {
			last, since = now, time.Now()
		}
		for _, s := range now {
			if s.Members != len(rs) {
				return false
			}
		}
		return held == haShards && time.Since(since) >= 3*haRenew
	}
}

func TestReplicasShareProjectsThroughLeases(t *testing.T) {
	sim, ids := newSim(t, 12, 7)
	ns, _ := proctest.StartEmbeddedNATS(t, t.TempDir())
	c := &haCluster{t: t, url: ns.ClientURL(), sim: sim, ids: ids}
	api := cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
	for _, id := range ids {
		if !terminal(textField(snapshotOf(t, api, id), "Status")) {
			c.live = append(c.live, id)
		}
	}
	ctx, stopWatch := context.WithCancel(t.Context())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		c.watchOverlaps(ctx)
	}()

	a, b := c.start("replica-a"), c.start("replica-b")
	// Liveness waits are generous: CI runs every package at once under -race,
	// and a starved replica is slow, not wrong. Safety (never two holders) is
	// checked at every moment by watchOverlaps whatever the timing.
	took := waitFor(t, 45*time.Second, "two replicas share the leases", balanced(a, b))
	t.Logf("balanced in %s: a %d, b %d of %d leases", took.Round(time.Millisecond), a.leases.Stats().Held, b.leases.Stats().Held, haShards)
	if per := c.exclusive(3); per[a.name] == 0 || per[b.name] == 0 {
		t.Errorf("projects per replica %v: want both replicas polling", per)
	}

	// b dies: its connection drops before it can release anything.
	b.nc.Close()
	crashed := time.Now()
	b.cancel()
	<-b.done
	waitFor(t, 15*haTTL, "a takes over b's leases", func() bool { return a.leases.Stats().Held == haShards })
	// How soon after the crash is package lease's to test; here it is
	// that the projects follow their leases.
	t.Logf("takeover after a crash: %s after the crash (lease TTL %s)", time.Since(crashed).Round(time.Millisecond), haTTL)
	if per := c.exclusive(2); per[a.name] != len(c.live) {
		t.Errorf("projects per replica after the crash %v: want a polling all %d", per, len(c.live))
	}

	// A new replica joins, then a stops gracefully: its leases move at once.
	d := c.start("replica-d")
	waitFor(t, 45*time.Second, "a and d share the leases", balanced(a, d))
	before := a.leases.Stats()
	a.cancel()
	took = waitFor(t, 15*haTTL, "d takes over a's released leases", func() bool { return d.leases.Stats().Held == haShards })
	<-a.done
	t.Logf("takeover after a graceful stop: %s", took.Round(time.Millisecond))
	after := a.leases.Stats()
	if after.Held != 0 || after.Released-before.Released != uint64(before.Held) || after.Lost != before.Lost {
		t.Errorf("stopped replica's stats %+v (before the stop %+v): want every lease released, none left to expire", after, before)
	}
	// That the leases moved by release, not by expiry, is proven by the stats
	// above (every held lease released, none lost), not by a wall-clock bound
	// a loaded machine could miss.
	if per := c.exclusive(2); per[d.name] != len(c.live) {
		t.Errorf("projects per replica after the graceful stop %v: want d polling all %d", per, len(c.live))
	}

	stopWatch()
	<-watched
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.overlaps) > 0 {
		t.Errorf("%d moments with a project owned by two replicas, first: %s", len(c.overlaps), c.overlaps[0])
	}
}

// waitFor polls cond every 10ms until it holds or d passes, and returns
// how long it took.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}
