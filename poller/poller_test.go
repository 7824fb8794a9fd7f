package poller

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

// newPoller builds a poller over api and store, handing off to h.
func newPoller(t *testing.T, api *omsapi.Client, store Store, h Handler, edit func(*Options)) *Poller {
	t.Helper()
	o := Options{Source: testSource, Fetcher: api, Lister: api, Store: store, Handler: h, FailureThreshold: 3, Workers: 8}
	if edit != nil {
		edit(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runOnce runs one round and fails the test if the context ended.
func runOnce(t *testing.T, p *Poller) Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	s, err := p.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFaultsMakeNoProjectEventAndLeaveTheSnapshot(t *testing.T) {
	cases := []struct {
		name, spec string
	}{
		{"latency past the timeout", "latency=3s@1:DescribeProject"},
		{"timeout", "timeout=3s@1:DescribeProject"},
		{"http 500", "http500@1:DescribeProject"},
		{"http 503", "http503@1:DescribeProject"},
		{"throttling", "throttle=5ms@1:DescribeProject"},
		{"success false", "business@1:DescribeProject"},
		{"invalid json", "invalid@1:DescribeProject"},
		{"truncated json", "truncated@1:DescribeProject"},
		{"not found", "notfound@1:DescribeProject"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim, ids := newSim(t, 3, 5)
			api := cloudAPI(t, sim, omsapi.Options{Timeout: 300 * time.Millisecond,
				Retry: omsapi.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}}, omssim.DemoAccessKeySecret)
			store, h := newStore(t), &changes{}
			p := newPoller(t, api, store, h, func(o *Options) { o.Projects = ids[:1] })
			if s := runOnce(t, p); s.Changed != 1 {
				t.Fatalf("first poll: %+v, want the project discovered", s)
			}
			h.take()
			before, err := store.Get(t.Context(), testSource, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			sim.Advance(movingTicks) // the project's state moves on: a successful poll would see a change
			faults, err := omssim.ParseFaults(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.SetFaults(faults); err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 4; i++ {
				s := runOnce(t, p)
				if s.Failed != 1 {
					t.Fatalf("poll %d under %s: %+v, want a failed poll", i, tc.spec, s)
				}
				cs := h.take()
				for _, c := range cs {
					if c.Current != nil || c.Previous != nil || c.Removed {
						t.Fatalf("poll %d under %s handed off a project change: %+v", i, tc.spec, c)
					}
				}
				wantFailing := map[bool]int{true: 1, false: 0}[i == 3]
				if got := pollEvents(cs)[event.TypePollFailing]; got != wantFailing {
					t.Errorf("poll %d: %d oms.poll.failing, want %d", i, got, wantFailing)
				}
				after, err := store.Get(t.Context(), testSource, ids[0])
				if err != nil {
					t.Fatal(err)
				}
				if after.Snapshot.Digest() != before.Snapshot.Digest() || after.ObservedAt != before.ObservedAt {
					t.Fatalf("poll %d under %s changed the stored snapshot", i, tc.spec)
				}
				if after.Failures != i || after.FailingSent != (i >= 3) || after.LastErrorCode == "" {
					t.Errorf("poll %d under %s: stored %d failures (failing sent %v, code %q), want the run counted",
						i, tc.spec, after.Failures, after.FailingSent, after.LastErrorCode)
				}
			}
			if err := sim.SetFaults(nil); err != nil {
				t.Fatal(err)
			}
			s := runOnce(t, p)
			cs := h.take()
			if s.Changed != 1 || len(cs) != 1 || cs[0].Current == nil || cs[0].Previous == nil {
				t.Fatalf("after the faults: %+v %+v, want the change handed off", s, cs)
			}
			if got := pollEvents(cs)[event.TypePollRecovered]; got != 1 {
				t.Errorf("%d oms.poll.recovered, want 1", got)
			}
			for _, e := range cs[0].Events {
				if err := e.Validate(); err != nil {
					t.Errorf("event %s: %v", e.Type, err)
				}
			}
		})
	}
}

// Failures "in a row" are counted between successes: a successful poll
// that sees no change ends the run, so failed polls spread among
// successful ones never add up to oms.poll.failing.
func TestASuccessfulUnchangedPollEndsTheRunOfFailures(t *testing.T) {
	sim, ids := newSim(t, 3, 5)
	api := cloudAPI(t, sim, omsapi.Options{Timeout: 300 * time.Millisecond,
		Retry: omsapi.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}}, omssim.DemoAccessKeySecret)
	store, h := newStore(t), &changes{}
	p := newPoller(t, api, store, h, func(o *Options) { o.Projects = ids[:1] })
	if s := runOnce(t, p); s.Changed != 1 {
		t.Fatalf("first poll: %+v, want the project discovered", s)
	}
	h.take()
	for i := 1; i <= 6; i++ {
		faults, err := omssim.ParseFaults("http503#2:DescribeProject") // both attempts of one poll
		if err != nil {
			t.Fatal(err)
		}
		if err := sim.SetFaults(faults); err != nil {
			t.Fatal(err)
		}
		if s := runOnce(t, p); s.Failed != 1 {
			t.Fatalf("round %d: %+v, want a failed poll", i, s)
		}
		if s := runOnce(t, p); s.Failed != 0 {
			t.Fatalf("round %d: %+v, want a successful poll", i, s)
		}
		if n := pollEvents(h.take())[event.TypePollFailing]; n != 0 {
			t.Fatalf("round %d: %d oms.poll.failing after %d failed polls, none of them in a row", i, n, i)
		}
	}
}

func TestHandoffFailureKeepsTheSnapshot(t *testing.T) {
	sim, ids := newSim(t, 2, 5)
	api := cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
	store, h := newStore(t), &changes{failNext: 1}
	p := newPoller(t, api, store, h, func(o *Options) { o.Projects = ids[:1] })
	if s := runOnce(t, p); s.Failed != 1 {
		t.Fatalf("%+v: want the poll counted as failed when its hand-off fails", s)
	}
	if _, err := store.Get(t.Context(), testSource, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a snapshot was saved although its hand-off failed: %v", err)
	}
	if s := runOnce(t, p); s.Changed != 1 {
		t.Fatalf("%+v: want the same change handed off again", s)
	}
	if cs := h.take(); len(cs) != 1 || cs[0].Previous != nil {
		t.Fatalf("changes %+v: want the first sight handed off again", cs)
	}
	if _, err := store.Get(t.Context(), testSource, ids[0]); err != nil {
		t.Fatalf("not saved after a successful hand-off: %v", err)
	}
}

func TestSnapshotsSurviveRestarts(t *testing.T) {
	sim, ids := newSim(t, 6, 5)
	dir := t.TempDir()
	round := func(advance int64) []Change {
		ns, js := proctest.StartEmbeddedNATS(t, dir)
		defer func() { _ = ns.Shutdown(context.Background()) }()
		store, err := NewKVStore(t.Context(), js, KVOptions{Bucket: "restart"})
		if err != nil {
			t.Fatal(err)
		}
		sim.Advance(advance)
		h := &changes{}
		api := cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
		p := newPoller(t, api, store, h, func(o *Options) { o.Projects = ids })
		if s := runOnce(t, p); s.Failed != 0 {
			t.Fatalf("%+v", s)
		}
		return h.take()
	}
	if cs := round(0); len(cs) != len(ids) {
		t.Fatalf("first run: %d changes, want %d discoveries", len(cs), len(ids))
	}
	if cs := round(0); len(cs) != 0 {
		t.Fatalf("after a restart of omswatch and NATS, at the same state: %d changes, want none: %+v", len(cs), cs)
	}
	cs := round(movingTicks)
	if len(cs) == 0 {
		t.Fatal("no change after the state moved on")
	}
	for _, c := range cs {
		if c.Previous == nil {
			t.Errorf("%s: no previous snapshot after a restart", c.Project)
		}
	}
}

func TestStoreCompareAndSet(t *testing.T) {
	sim, ids := newSim(t, 1, 5)
	api := cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
	snap := snapshotOf(t, api, ids[0])
	store := newStore(t)
	ctx := t.Context()
	rev, err := store.Put(ctx, testSource, ids[0], Record{Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		op   func() error
		want error
	}{
		{"create over an existing record", func() error {
			_, err := store.Put(ctx, testSource, ids[0], Record{Snapshot: snap})
			return err
		}, ErrConflict},
		{"update at the current revision", func() error {
			r, err := store.Put(ctx, testSource, ids[0], Record{Snapshot: snap, Revision: rev})
			rev = r
			return err
		}, nil},
		{"update at a stale revision", func() error {
			_, err := store.Put(ctx, testSource, ids[0], Record{Snapshot: snap, Revision: rev - 1})
			return err
		}, ErrConflict},
		{"delete at a stale revision", func() error { return store.Delete(ctx, testSource, ids[0], rev-1) }, ErrConflict},
		{"delete at the current revision", func() error { return store.Delete(ctx, testSource, ids[0], rev) }, nil},
		{"get after delete", func() error { _, err := store.Get(ctx, testSource, ids[0]); return err }, ErrNotFound},
		{"create after delete", func() error {
			_, err := store.Put(ctx, testSource, ids[0], Record{Snapshot: snap})
			return err
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
	got, err := store.Get(ctx, testSource, ids[0])
	if err != nil || got.Snapshot.Digest() != snap.Digest() {
		t.Fatalf("read back: %v", err)
	}
}

func TestAWriterBetweenReadAndSaveIsNotOverwritten(t *testing.T) {
	sim, ids := newSim(t, 1, 5)
	store := newStore(t)
	api := cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
	runOnce(t, newPoller(t, api, store, &changes{}, func(o *Options) { o.Projects = ids[:1] }))
	// The second writer's hand-off stands for the window between reading
	// the previous snapshot and saving the new one: another replica saves
	// in that window.
	var interloper uint64
	h := HandlerFunc(func(ctx context.Context, c Change) error {
		if interloper != 0 {
			return nil
		}
		rec, err := store.Get(ctx, testSource, c.Project)
		if err != nil {
			return err
		}
		rec.ListDigest = "written by another replica"
		interloper, err = store.Put(ctx, testSource, c.Project, rec)
		return err
	})
	b := newPoller(t, api, store, h, func(o *Options) { o.Projects = ids[:1] })
	sim.Advance(movingTicks)
	if s := runOnce(t, b); s.Failed != 1 {
		t.Fatalf("%+v: want the save refused", s)
	}
	got, err := store.Get(t.Context(), testSource, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != interloper || got.ListDigest != "written by another replica" {
		t.Errorf("the other writer's record was overwritten (revision %d, want %d)", got.Revision, interloper)
	}
	if s := runOnce(t, b); s.Changed != 1 {
		t.Errorf("%+v: after reading the record afresh the change should be saved", s)
	}
}

func TestCodecRejectsDamage(t *testing.T) {
	sim, ids := newSim(t, 1, 5)
	snap := snapshotOf(t, cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret), ids[0])
	good, err := encodeRecord(Record{Snapshot: snap, ListDigest: "x", Status: "RUNNING"})
	if err != nil {
		t.Fatal(err)
	}
	if len(good) >= len(snap.JSON()) {
		t.Errorf("stored value %d bytes, snapshot %d: not compressed", len(good), len(snap.JSON()))
	}
	cases := []struct {
		name  string
		value []byte
		ok    bool
	}{
		{"good", good, true},
		{"bad magic", append([]byte("XXXX"), good[4:]...), false},
		{"truncated", good[:len(good)-10], false},
		{"empty", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := decodeRecord(tc.value)
			if (err == nil) != tc.ok {
				t.Fatalf("error %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && (rec.Snapshot.Digest() != snap.Digest() || rec.ListDigest != "x" || rec.Status != "RUNNING") {
				t.Errorf("read back %+v", rec)
			}
		})
	}
}
