package poller

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
)

// A watch hands over what the bucket held, says when that is done, then
// follows writes and deletes, with the source and project of each key.
func TestKVStoreWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	store, err := NewKVStore(ctx, js, KVOptions{Bucket: "watch"})
	if err != nil {
		t.Fatal(err)
	}
	put := func(id string) {
		s, err := oms.ParseSnapshot([]byte(`{"Id":"` + id + `","Name":"n","Status":"RUNNING"}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Put(ctx, "oms://cn-hangzhou", id, Record{Snapshot: s}); err != nil {
			t.Fatal(err)
		}
	}
	put("np_before")
	var mu sync.Mutex
	var seen []string
	loaded := make(chan struct{})
	err = store.Watch(ctx, func(source, project string, rec Record, deleted bool, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			seen = append(seen, "error "+project)
		case deleted:
			seen = append(seen, "deleted "+source+" "+project)
		default:
			seen = append(seen, "put "+source+" "+project+" "+rec.Snapshot.ID())
		}
	}, func() { close(loaded) })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-loaded:
	case <-ctx.Done():
		t.Fatal("the watch never said the stored records were in")
	}
	put("np_after")
	if err := store.Delete(ctx, "oms://cn-hangzhou", "np_before", 0); err != nil {
		t.Fatal(err)
	}
	want := []string{"put oms://cn-hangzhou np_before np_before", "put oms://cn-hangzhou np_after np_after",
		"deleted oms://cn-hangzhou np_before"}
	for {
		mu.Lock()
		got := append([]string(nil), seen...)
		mu.Unlock()
		if len(got) >= len(want) {
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("watch saw %q, want %q", got, want)
				}
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("watch saw %q, want %q", got, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
