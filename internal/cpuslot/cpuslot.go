// Package cpuslot bounds the goroutines working on the CPU at the same
// time, while they may wait on I/O without holding a slot.
//
// The poller runs up to 16 polls at once so that their waits (OMS, NATS)
// overlap. Between the waits each poll works on the CPU, and on two cores
// sixteen of them share it: each takes eight times as long, and the events
// of every poll wait for all the others before they are stored (at 10,000
// projects, observation to outbox p99 36 ms for about 2 ms of work). A
// poll holds a slot while it works and gives it up for each wait (Wait),
// so the polls working run as fast as the cores allow and the others wait
// their turn, while the waits still overlap.
package cpuslot

import (
	"context"
	"sync"
)

// Slots is a number of slots for work on the CPU.
type Slots struct{ c chan struct{} }

// New returns n slots (at least 1).
func New(n int) *Slots { return &Slots{c: make(chan struct{}, max(n, 1))} }

type holdKey struct{}

// hold is a slot taken by Acquire. A context that carries it may reach
// other goroutines: one of them at a time gives the slot up for a wait,
// the others wait without it.
type hold struct {
	s          *Slots
	mu         sync.Mutex
	held, done bool
}

// Acquire takes a slot, waiting for one; the context returned carries it,
// for Wait. release gives it back (once; later calls do nothing). ok is
// false when ctx ended first.
func (s *Slots) Acquire(ctx context.Context) (_ context.Context, release func(), ok bool) {
	select {
	case s.c <- struct{}{}:
	case <-ctx.Done():
		return ctx, func() {}, false
	}
	h := &hold{s: s, held: true}
	return context.WithValue(ctx, holdKey{}, h), h.release, true
}

func (h *hold) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.done = true
	if h.held {
		h.held = false
		<-h.s.c
	}
}

// Wait runs fn, a wait on I/O, without the slot ctx carries (if any) and
// takes a slot again once fn returns, waiting for one as long as it takes:
// the work after the wait is the caller's, whatever happened to ctx.
func Wait[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	h, _ := ctx.Value(holdKey{}).(*hold)
	if h == nil || !h.giveUp() {
		return fn()
	}
	defer h.takeBack()
	return fn()
}

// Do is Wait for a wait that returns only an error.
func Do(ctx context.Context, fn func() error) error {
	_, err := Wait(ctx, func() (struct{}, error) { return struct{}{}, fn() })
	return err
}

// giveUp frees the slot for a wait, false when it is not held (released,
// or given up by another goroutine's wait).
func (h *hold) giveUp() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.held || h.done {
		return false
	}
	h.held = false
	<-h.s.c
	return true
}

// takeBack takes a slot again after a wait, unless the hold was released
// meanwhile.
func (h *hold) takeBack() {
	h.s.c <- struct{}{}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		<-h.s.c
		return
	}
	h.held = true
}
