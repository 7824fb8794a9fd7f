package slack

import (
	"context"
	"sync"
	"time"
)

// Clock is the time the client waits on: rate limits and Retry-After.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends (then it returns ctx's error).
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// limiter spaces messages to one channel Interval apart, first come first
// served: a burst queues (each caller waits its turn), nothing is dropped.
type limiter struct {
	mu       sync.Mutex
	clock    Clock
	interval time.Duration
	next     map[string]time.Time
}

func newLimiter(c Clock, interval time.Duration) *limiter {
	return &limiter{clock: c, interval: interval, next: map[string]time.Time{}}
}

// wait blocks until key may send and books the slot after it.
func (l *limiter) wait(ctx context.Context, key string) error {
	l.mu.Lock()
	now := l.clock.Now()
	at := now
	if n := l.next[key]; n.After(at) {
		at = n
	}
	l.next[key] = at.Add(l.interval)
	l.mu.Unlock()
	return l.clock.Sleep(ctx, at.Sub(now))
}

// hold keeps key from sending for d (a 429's Retry-After).
func (l *limiter) hold(key string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if at := l.clock.Now().Add(d); at.After(l.next[key]) {
		l.next[key] = at
	}
}
