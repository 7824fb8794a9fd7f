package lease

import (
	"context"
	"sync"
	"time"
)

// Stats tell what a replica holds, for metrics and logs.
type Stats struct {
	// Replica is this replica's name.
	Replica string
	// Members is how many replicas share the group (this one included).
	Members int
	// Shards is how many leases the group's keys are divided into; Held
	// is how many this replica holds.
	Shards, Held int
	// Acquired, Released and Lost count lease changes since start.
	Acquired, Released, Lost uint64
}

// Stats reports what this replica holds now.
func (l *Set) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Stats{Replica: l.id, Members: len(l.members), Shards: len(l.shards),
		Acquired: l.acquired, Released: l.released, Lost: l.lost}
	now := time.Now()
	for i := range l.shards {
		if l.usable(&l.shards[i], now) {
			s.Held++
		}
	}
	return s
}

// usable reports whether the replica may act on a lease now. l.mu is held.
func (l *Set) usable(s *shardLease, now time.Time) bool {
	return s.held && now.Before(s.valid)
}

// Owns reports whether this replica holds the lease over key now (and is
// not handing it over): whether a Hold would succeed.
func (l *Set) Owns(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &l.shards[shardOf(key, len(l.shards))]
	return l.usable(s, time.Now()) && !s.draining
}

// Hold holds the lease over key for the length of one piece of work (a
// poll, the dispatcher's run). ok is false when this replica does not hold
// the lease or is handing it over, and then the work must not be done.
// Otherwise hctx is ctx, cancelled with ErrLost as its cause should the
// lease be lost meanwhile, and done must be called when the work ends: a
// lease is handed over only once the work under it is done.
func (l *Set) Hold(ctx context.Context, key string) (hctx context.Context, done func(), ok bool) {
	i := shardOf(key, len(l.shards))
	l.mu.Lock()
	s := &l.shards[i]
	if !l.usable(s, time.Now()) || s.draining {
		l.mu.Unlock()
		return ctx, func() {}, false
	}
	s.holds++
	lost := s.lostCh
	l.mu.Unlock()
	hctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-lost:
			cancel(ErrLost)
		case <-hctx.Done():
		}
	}()
	var once sync.Once
	return hctx, func() {
		once.Do(func() {
			cancel(nil)
			l.unhold(i)
		})
	}, true
}

// unhold ends one hold of shard i's lease; the last hold of a shard
// being handed over asks for a round, which releases it.
func (l *Set) unhold(i int) {
	l.mu.Lock()
	s := &l.shards[i]
	s.holds--
	wake := s.draining && s.holds == 0
	l.mu.Unlock()
	if wake {
		l.wake()
	}
}

// wake asks Run for a round as soon as it can.
func (l *Set) wake() {
	select {
	case l.wakeChan <- struct{}{}:
	default:
	}
}
