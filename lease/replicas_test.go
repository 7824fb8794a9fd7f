package lease

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
	"github.com/omswatch/omswatch/natsembed"
)

// replica is one Set, on its own NATS connection so that it can crash.
type replica struct {
	name   string
	set    *Set
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan struct{}
}

// replicas are the Sets of a test sharing one bucket on one NATS server.
type replicas struct {
	t    *testing.T
	url  string
	keys []string

	mu       sync.Mutex
	all      []*replica
	overlaps []string
}

const (
	replTTL    = 2 * time.Second
	replRenew  = 500 * time.Millisecond
	replShards = 32
)

// start starts a replica that runs until the test ends or it is cancelled.
func (c *replicas) start(name string) *replica {
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
	set, err := New(t.Context(), js, Options{Bucket: "ha-leases", Group: testGroup, Replica: name,
		TTL: replTTL, RenewInterval: replRenew, Shards: replShards})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	r := &replica{name: name, set: set, nc: nc, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		_ = set.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	c.mu.Lock()
	c.all = append(c.all, r)
	c.mu.Unlock()
	return r
}

// watchOverlaps checks, every few milliseconds until ctx ends, that no key
// is owned by two replicas (stopped ones included).
func (c *replicas) watchOverlaps(ctx context.Context) {
	for ctx.Err() == nil {
		c.mu.Lock()
		rs := slices.Clone(c.all)
		c.mu.Unlock()
		for _, k := range c.keys {
			var owners []string
			for _, r := range rs {
				if r.set.Owns(k) {
					owners = append(owners, r.name)
				}
			}
			if len(owners) > 1 {
				c.mu.Lock()
				c.overlaps = append(c.overlaps, fmt.Sprintf("%s owned by %v", k, owners))
				c.mu.Unlock()
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lastRenewal is when l last wrote a lease.
func lastRenewal(l *Set) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var last time.Time
	for _, s := range l.shards {
		if s.renewed.After(last) {
			last = s.renewed
		}
	}
	return last
}

// balanced reports whether the replicas hold exactly the leases
// rendezvous hashing gives each (they may first split them otherwise, as
// each grabs free leases before it sees the other).
func balanced(rs ...*replica) func() bool {
	var names []string
	for _, r := range rs {
		names = append(names, r.name)
	}
	want := map[string]int{}
	for i := range replShards {
		want[ownerOf(i, names)]++
	}
	return func() bool {
		for _, r := range rs {
			if s := r.set.Stats(); s.Held != want[r.name] || s.Members != len(rs) {
				return false
			}
		}
		return true
	}
}

// everyKeyOwnedOnce checks that each key has exactly one owner among rs.
func (c *replicas) everyKeyOwnedOnce(rs ...*replica) {
	c.t.Helper()
	for _, k := range c.keys {
		n := 0
		for _, r := range rs {
			if r.set.Owns(k) {
				n++
			}
		}
		if n != 1 {
			c.t.Errorf("key %s owned by %d replicas, want 1", k, n)
		}
	}
}

func TestReplicasShareTheLeases(t *testing.T) {
	ns, _ := proctest.StartEmbeddedNATS(t, t.TempDir())
	c := &replicas{t: t, url: ns.ClientURL()}
	for i := range 40 {
		c.keys = append(c.keys, fmt.Sprintf("np_%04d", i))
	}
	ctx, stopWatch := context.WithCancel(t.Context())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		c.watchOverlaps(ctx)
	}()

	a, b := c.start("replica-a"), c.start("replica-b")
	// Liveness waits are generous: a loaded machine makes a replica slow,
	// not wrong. Safety (never two holders) is checked at every moment by
	// watchOverlaps whatever the timing.
	took := waitFor(t, 45*time.Second, "two replicas share the leases", balanced(a, b))
	t.Logf("balanced in %s: a %d, b %d of %d leases", took.Round(time.Millisecond), a.set.Stats().Held, b.set.Stats().Held, replShards)
	c.everyKeyOwnedOnce(a, b)

	// b dies: its connection drops before it can release anything.
	b.nc.Close()
	crashed := time.Now()
	b.cancel()
	<-b.done
	waitFor(t, 15*replTTL, "a takes over b's leases", func() bool { return a.set.Stats().Held == replShards })
	// b's leases expire TTL after its last renewal; a takes them as soon as
	// the expiry markers reach it (the server expires a little late: about
	// 0.2-0.3s on an idle machine, seconds on one running fuzzers, hence the
	// slack; a takeover waiting for anything else, such as a second TTL,
	// would still fail).
	sinceRenewal := time.Since(lastRenewal(b.set))
	t.Logf("takeover after a crash: %s after the crash, %s after b's last renewal (lease TTL %s)",
		time.Since(crashed).Round(time.Millisecond), sinceRenewal.Round(time.Millisecond), replTTL)
	if limit := 4*replTTL + 2*time.Second; sinceRenewal > limit {
		t.Errorf("takeover came %s after b's last renewal; want about the TTL %s (at most %s)", sinceRenewal, replTTL, limit)
	}
	c.everyKeyOwnedOnce(a)

	// A new replica joins, then a stops gracefully: its leases move at once.
	d := c.start("replica-d")
	waitFor(t, 45*time.Second, "a and d share the leases", balanced(a, d))
	before := a.set.Stats()
	a.cancel()
	took = waitFor(t, 15*replTTL, "d takes over a's released leases", func() bool { return d.set.Stats().Held == replShards })
	<-a.done
	t.Logf("takeover after a graceful stop: %s", took.Round(time.Millisecond))
	// That the leases moved by release, not by expiry, is proven by the
	// stats (every held lease released, none lost), not by a wall-clock
	// bound a loaded machine could miss.
	after := a.set.Stats()
	if after.Held != 0 || after.Released-before.Released != uint64(before.Held) || after.Lost != before.Lost {
		t.Errorf("stopped replica's stats %+v (before the stop %+v): want every lease released, none left to expire", after, before)
	}
	c.everyKeyOwnedOnce(d)

	stopWatch()
	<-watched
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.overlaps) > 0 {
		t.Errorf("%d moments with a key owned by two replicas, first: %s", len(c.overlaps), c.overlaps[0])
	}
}
