package lease

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/internal/proctest"
)

func TestRendezvousSharesEvenlyAndMovesOnlyWhatItMust(t *testing.T) {
	const shards = DefaultShards
	for _, n := range []int{1, 2, 3, 5, 8} {
		t.Run(fmt.Sprintf("%d replicas", n), func(t *testing.T) {
			var members []string
			for i := range n {
				members = append(members, fmt.Sprintf("omswatch-7d9f8c-%d", i))
			}
			share := map[string]int{}
			before := make([]string, shards)
			for i := range shards {
				before[i] = ownerOf(i, members)
				share[before[i]]++
			}
			even := shards / n
			for _, m := range members {
				if got := share[m]; got < even*6/10 || got > even*14/10 {
					t.Errorf("%s owns %d of %d shards; want about %d", m, got, shards, even)
				}
			}
			// One leaves: only its shards move.
			gone := members[0]
			for i := range shards {
				after := ownerOf(i, members[1:])
				if before[i] != gone && after != before[i] {
					t.Fatalf("shard %d moved from %s to %s although %s stayed", i, before[i], after, before[i])
				}
			}
			// One joins: shards move only to it.
			joined := append([]string{"omswatch-new"}, members...)
			for i := range shards {
				if after := ownerOf(i, joined); after != before[i] && after != "omswatch-new" {
					t.Fatalf("shard %d moved from %s to %s, not to the new replica", i, before[i], after)
				}
			}
		})
	}
}

func TestShardOfSpreadsKeys(t *testing.T) {
	const shards = 16
	count := make([]int, shards)
	for i := range 1600 {
		count[shardOf(fmt.Sprintf("np_%08x", i*7919), shards)]++
	}
	for s, c := range count {
		if c < 60 || c > 140 {
			t.Errorf("shard %d has %d of 1600 keys; want about 100", s, c)
		}
	}
}

func TestOptionsAreChecked(t *testing.T) {
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	ok := Options{Bucket: "leases", Group: testGroup, Replica: "a"}
	cases := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no bucket", func(o *Options) { o.Bucket = "" }, "a bucket name is required"},
		{"no group", func(o *Options) { o.Group = "" }, "a Group is required"},
		{"no replica", func(o *Options) { o.Replica = "" }, "a replica name is required"},
		{"ttl under a second", func(o *Options) { o.TTL = 500 * time.Millisecond }, "want at least 1s"},
		{"renewing too rarely", func(o *Options) { o.TTL, o.RenewInterval = 10*time.Second, 6*time.Second },
			"more than half the TTL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.edit(&o)
			_, err := New(t.Context(), js, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLeaseBucketSettingsWin(t *testing.T) {
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	first, err := New(t.Context(), js, Options{Bucket: "leases", Group: testGroup, Replica: "a",
		TTL: 3 * time.Second, Shards: 8})
	if err != nil {
		t.Fatal(err)
	}
	log := &proctest.Buffer{}
	second, err := New(t.Context(), js, Options{Bucket: "leases", Group: testGroup, Replica: "b",
		TTL: 20 * time.Second, Shards: 64, Logger: log.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	if second.TTL() != first.TTL() || len(second.shards) != 8 {
		t.Errorf("second replica: ttl %s, %d shards; want the bucket's 3s and 8", second.TTL(), len(second.shards))
	}
	if !strings.Contains(log.String(), "created with other settings") {
		t.Errorf("no warning about the differing settings: %s", log.String())
	}
	if _, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: "snapshots"}); err != nil {
		t.Fatal(err)
	}
	_, err = New(t.Context(), js, Options{Bucket: "snapshots", Group: testGroup, Replica: "c"})
	if err == nil || !strings.Contains(err.Error(), "not a lease bucket") {
		t.Errorf("the snapshot bucket was taken for a lease bucket: %v", err)
	}
}

// startLeases runs a Set until the test ends or stop is called.
func startLeases(t *testing.T, js jetstream.JetStream, o Options) (*Set, func()) {
	t.Helper()
	l, err := New(t.Context(), js, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = l.Run(ctx)
	}()
	stop := func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return l, stop
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

func TestALostLeaseCancelsTheHoldsUnderIt(t *testing.T) {
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	l, _ := startLeases(t, js, Options{Bucket: "leases", Group: testGroup, Replica: "a",
		TTL: 2 * time.Second, RenewInterval: 200 * time.Millisecond, Shards: 4})
	waitFor(t, 5*time.Second, "the only replica holds every lease", func() bool { return l.Stats().Held == 4 })
	ctx, done, ok := l.Hold(t.Context(), "np_1")
	if !ok {
		t.Fatal("Hold refused a key whose lease is held")
	}
	defer done()
	// Another writer takes the lease from under it (as after an expiry).
	kv, err := js.KeyValue(t.Context(), "leases")
	if err != nil {
		t.Fatal(err)
	}
	key := l.shardKey(shardOf("np_1", 4))
	if _, err := kv.Put(t.Context(), key, []byte("someone else")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("the held context was not cancelled when its lease was lost")
	}
	if !errors.Is(context.Cause(ctx), ErrLost) {
		t.Errorf("cause %v, want ErrLost", context.Cause(ctx))
	}
	if l.Owns("np_1") {
		t.Error("still owns a key whose lease another holds")
	}
	if s := l.Stats(); s.Lost != 1 {
		t.Errorf("stats %+v, want one lease lost", s)
	}
}

// The keys keep the layout they had when the leases were the poller's (the
// group was its source), so the buckets of running deployments still hold
// the leases and heartbeats the replicas look for.
func TestKeyLayoutIsStable(t *testing.T) {
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	l, err := New(t.Context(), js, Options{Bucket: "leases", Group: testGroup, Replica: "pod-0", Shards: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ got, want string }{
		{l.shardKey(3), "shards.b21zOi8vY24taGFuZ3pob3U.3"},
		{l.memberKey(), "members.b21zOi8vY24taGFuZ3pob3U.cG9kLTA"},
		{groupPrefix("omswatch-outbox"), "b21zd2F0Y2gtb3V0Ym94."},
	} {
		if c.got != c.want {
			t.Errorf("key %q, want %q", c.got, c.want)
		}
	}
}
