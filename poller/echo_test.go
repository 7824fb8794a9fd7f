package poller

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
)

// A watch sharing the writer's echoes is handed the records its process
// wrote as they were written (the same snapshot, not decoded again); a
// record another replica wrote, or one whose write failed, is decoded
// from the bucket, and nothing is kept once the watch has seen it.
func TestWatchTakesItsOwnWritesFromEchoes(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	echoes := NewEchoes()
	writer, err := NewKVStore(ctx, js, KVOptions{Bucket: "echo", Echoes: echoes})
	if err != nil {
		t.Fatal(err)
	}
	watcher, err := NewKVStore(ctx, js, KVOptions{Bucket: "echo", Echoes: echoes})
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewKVStore(ctx, js, KVOptions{Bucket: "echo"}) // another replica
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan Record, 8)
	if err := watcher.Watch(ctx, func(_, _ string, rec Record, _ bool, err error) {
		if err != nil {
			t.Error(err)
		}
		got <- rec
	}, func() {}); err != nil {
		t.Fatal(err)
	}
	snap := func(id, status string) *oms.Snapshot {
		s, err := oms.ParseSnapshot([]byte(`{"Id":"` + id + `","Name":"n","Status":"` + status + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	next := func() Record {
		select {
		case rec := <-got:
			return rec
		case <-ctx.Done():
			t.Fatal("the watch handed nothing over")
			return Record{}
		}
	}

	ours := snap("np_1", "RUNNING")
	rev, err := writer.Put(ctx, "src", "np_1", Record{Snapshot: ours, Status: "RUNNING"})
	if err != nil {
		t.Fatal(err)
	}
	if rec := next(); rec.Snapshot != ours || rec.Revision != rev || rec.Status != "RUNNING" {
		t.Errorf("own write: snapshot %p (want %p, the one written), revision %d (want %d)", rec.Snapshot, ours, rec.Revision, rev)
	}

	theirs := snap("np_2", "FAILED")
	if _, err := other.Put(ctx, "src", "np_2", Record{Snapshot: theirs}); err != nil {
		t.Fatal(err)
	}
	if rec := next(); rec.Snapshot == theirs || rec.Snapshot == nil || !reflect.DeepEqual(rec.Snapshot.Tree(), theirs.Tree()) {
		t.Errorf("another replica's write: got %v, want it decoded from the bucket", rec.Snapshot)
	}

	// A write refused (a stale revision) keeps nothing.
	if _, err := writer.Put(ctx, "src", "np_1", Record{Snapshot: snap("np_1", "FAILED"), Revision: rev + 100}); err == nil {
		t.Fatal("a write at a stale revision succeeded")
	}
	if n := echoes.pending(); n != 0 {
		t.Errorf("%d writes kept after the watch saw them or they failed, want 0", n)
	}
}

// pending is the number of writes not yet seen come back.
func (e *Echoes) pending() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.m)
}
