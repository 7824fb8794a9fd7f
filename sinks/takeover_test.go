package sinks_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/sinks"
)

// A dispatcher dies (SIGKILL, a lost ha lease) while an in-order target
// (AckAll) is sending a batch; the next dispatcher must deliver that batch
// even when newer messages arrive and are acknowledged first: an
// acknowledgement of a newer message acknowledges every older one, so
// without care the messages the dead dispatcher held are acknowledged
// unsent.
func TestInOrderTargetDeliversWhatADeadDispatcherHeld(t *testing.T) {
	_, js := startServer(t)
	ob := newOutbox(t, js)
	var mu sync.Mutex
	stuck := make(chan struct{})
	var once sync.Once
	hang := sinks.SinkFunc(func(ctx context.Context, n sinks.Notification) error {
		once.Do(func() { close(stuck) })
		<-ctx.Done() // the process dies mid-send: nothing returns, nothing is acknowledged
		return ctx.Err()
	})
	ctx, cancel := context.WithCancel(t.Context())
	d1, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: ob, AckWait: 2 * time.Second,
		Targets: []sinks.Target{{Name: "bus", Sink: hang}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	old := entries("np_1", 0, 3, "bus")
	if err := ob.Publish(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stuck:
	case <-time.After(30 * time.Second):
		t.Fatal("the first dispatcher never sent")
	}
	cancel() // the crash
	d1.Close()

	var got []string
	second := sinks.SinkFunc(func(_ context.Context, n sinks.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range n.Events {
			got = append(got, e.ID)
		}
		return nil
	})
	d2 := startDispatcher(t, sinks.DispatcherOptions{Outbox: ob, AckWait: 2 * time.Second,
		Targets: []sinks.Target{{Name: "bus", Sink: second}}})
	fresh := entries("np_1", 3, 2, "bus")
	if err := ob.Publish(t.Context(), fresh); err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer dcancel()
	if err := d2.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids(append(old, fresh...)) {
		if !slices.Contains(got, id) {
			t.Errorf("event %s was never delivered (delivered: %v)", id, got)
		}
	}
}
