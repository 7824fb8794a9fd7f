package cpuslot

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Goroutines working hold at most n slots; one waiting in Wait holds none,
// so the others work meanwhile; every slot is free once all are done.
func TestSlotsBoundWorkNotWaits(t *testing.T) {
	const n, workers = 2, 12
	s := New(n)
	var working, most, waiting, mostWaiting atomic.Int32
	peak := func(c, m *atomic.Int32) func() {
		v := c.Add(1)
		for old := m.Load(); v > old && !m.CompareAndSwap(old, v); old = m.Load() {
		}
		return func() { c.Add(-1) }
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			ctx, release, ok := s.Acquire(t.Context())
			if !ok {
				t.Error("no slot")
				return
			}
			defer release()
			for range 3 {
				done := peak(&working, &most)
				time.Sleep(time.Millisecond) // work
				done()
				_ = Do(ctx, func() error {
					defer peak(&waiting, &mostWaiting)()
					time.Sleep(10 * time.Millisecond) // a wait on I/O
					return nil
				})
			}
		})
	}
	wg.Wait()
	if got := most.Load(); got > n {
		t.Errorf("%d goroutines worked at once, want at most %d", got, n)
	}
	if got := mostWaiting.Load(); got <= n {
		t.Errorf("at most %d goroutines waited at once: a wait kept its slot", got)
	}
	if len(s.c) != 0 {
		t.Errorf("%d slots still taken after everyone released", len(s.c))
	}
}

// A release during another goroutine's wait frees the slot once: the wait
// does not take it back.
func TestReleaseDuringAWait(t *testing.T) {
	s := New(1)
	ctx, release, _ := s.Acquire(t.Context())
	inWait, out := make(chan struct{}), make(chan struct{})
	go func() {
		_ = Do(ctx, func() error { close(inWait); <-out; return nil })
	}()
	<-inWait
	release()
	close(out)
	ctx2, release2, ok := s.Acquire(context.Background())
	if !ok {
		t.Fatal("no slot")
	}
	release2()
	_ = ctx2
	time.Sleep(10 * time.Millisecond)
	if len(s.c) != 0 {
		t.Errorf("%d slots taken after both released", len(s.c))
	}
	// A context without a slot waits as it is.
	if err := Do(context.Background(), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
}
