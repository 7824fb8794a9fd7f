package lease

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/internal/ctxsleep"
)

// Run keeps this replica's share of the leases until ctx ends: every
// RenewInterval, and at once when a member joins or leaves or a lease is
// released or expires, it heartbeats, recomputes the shares, and
// acquires, renews or hands over leases. When ctx ends it hands every
// lease back (after the holds under them end, for at most the TTL) so the
// other replicas take over at once rather than after the TTL. Call it once.
func (l *Set) Run(ctx context.Context) error {
	l.watch(ctx)
	tick := time.NewTicker(l.renew)
	defer tick.Stop()
	for {
		l.round(ctx)
		select {
		case <-ctx.Done():
			l.releaseAll(context.WithoutCancel(ctx))
			return nil
		case <-tick.C:
		case <-l.wakeChan:
			// A replica handing over its shards releases them one by one:
			// gather the burst into one round rather than one per release.
			_ = ctxsleep.Sleep(ctx, min(l.renew/10, 100*time.Millisecond))
		}
	}
}

func (l *Set) memberPrefix() string { return "members." + l.prefix }

func (l *Set) memberKey() string {
	return l.memberPrefix() + base64.RawURLEncoding.EncodeToString([]byte(l.id))
}

func (l *Set) shardKey(i int) string { return "shards." + l.prefix + strconv.Itoa(i) }

// round is one pass over the shards.
func (l *Set) round(ctx context.Context) {
	if _, err := l.kv.Put(ctx, l.memberKey(), l.token); err != nil && ctx.Err() == nil {
		l.log.Warn("cannot write this replica's heartbeat", "error", err)
	}
	members := l.refreshMembers(ctx)
	l.eachShard(ctx, func(i int) { l.step(ctx, i, ownerOf(i, members) == l.id) })
}

// leaseWorkers bounds the lease writes in flight: a round renews a share of
// 256 leases, and one at a time it would take 256 round trips to a NATS
// cluster, pushing the last renewal towards the validity margin.
const leaseWorkers = 16

// eachShard calls fn for every shard, leaseWorkers at a time, and waits.
func (l *Set) eachShard(ctx context.Context, fn func(i int)) {
	sem := make(chan struct{}, leaseWorkers)
	var wg sync.WaitGroup
	for i := range l.shards {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

// refreshMembers lists the live replicas (this one always among them); on
// failure the last list stands, so a NATS hiccup moves no shard.
func (l *Set) refreshMembers(ctx context.Context) []string {
	members, err := l.listMembers(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("cannot list the replicas; keeping the last list", "error", err)
		}
		return l.members
	}
	if !slices.Equal(members, l.members) {
		l.log.Info("replicas changed", "members", members)
	}
	l.members = members
	return members
}

func (l *Set) listMembers(ctx context.Context) ([]string, error) {
	kl, err := l.kv.ListKeysFiltered(ctx, l.memberPrefix()+">")
	if err != nil {
		return nil, err
	}
	defer func() { _ = kl.Stop() }()
	members := []string{l.id}
	for k := range kl.Keys() {
		id, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(k, l.memberPrefix()))
		if err == nil && !slices.Contains(members, string(id)) {
			members = append(members, string(id))
		}
	}
	slices.Sort(members)
	return members, nil
}

// step acquires, renews or hands over shard i's lease, as want says.
func (l *Set) step(ctx context.Context, i int, want bool) {
	l.mu.Lock()
	s := &l.shards[i]
	if s.held && !l.usable(s, time.Now()) {
		l.loseLocked(i, true) // the timer is about to; do not act on it now
	}
	held, holds, rev, renewed := s.held, s.holds, s.rev, s.renewed
	if held {
		// Set before the release is sent, so no hold starts under a lease
		// the server may already have given to another replica.
		s.draining = !want
	}
	l.mu.Unlock()
	switch {
	case held && !want && holds == 0:
		l.release(ctx, i, rev)
	case held && time.Since(renewed) >= l.renew/2:
		// Rounds come early on a wake; renewing on each would only add
		// writes.
		l.renewLease(ctx, i, rev)
	case !held && want:
		l.acquire(ctx, i)
	}
}

// acquire creates shard i's lease; it fails while another replica holds it.
func (l *Set) acquire(ctx context.Context, i int) {
	sent := time.Now()
	rev, err := l.kv.Create(ctx, l.shardKey(i), l.token, jetstream.KeyTTL(l.keyTTL))
	switch {
	case err == nil:
		l.wrote(i, rev, sent)
	case errors.Is(err, jetstream.ErrKeyExists):
		if l.isUncertain(i) {
			l.adopt(ctx, i) // perhaps our own create whose answer was lost
		}
	default:
		l.setUncertain(i)
	}
}

// renewLease updates shard i's lease on its revision.
func (l *Set) renewLease(ctx context.Context, i int, rev uint64) {
	sent := time.Now()
	next, err := l.kv.Update(ctx, l.shardKey(i), l.token, rev)
	switch {
	case err == nil:
		l.wrote(i, next, sent)
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyNotFound):
		if !l.adopt(ctx, i) {
			l.mu.Lock()
			l.loseLocked(i, true)
			l.mu.Unlock()
			l.log.Warn("a lease was lost: it expired or another replica took it", "shard", i)
		}
	default:
		l.setUncertain(i)
		if ctx.Err() == nil {
			l.log.Warn("cannot renew a lease; retrying until it would expire", "shard", i, "error", err)
		}
	}
}

// adopt takes back shard i's lease when its value is this instance's
// token: a write whose answer was lost did land. It renews at once, so the
// lease's validity counts from a send time this replica knows.
func (l *Set) adopt(ctx context.Context, i int) bool {
	e, err := l.kv.Get(ctx, l.shardKey(i))
	if err != nil || !bytes.Equal(e.Value(), l.token) {
		return false
	}
	sent := time.Now()
	rev, err := l.kv.Update(ctx, l.shardKey(i), l.token, e.Revision())
	if err != nil {
		return false
	}
	l.wrote(i, rev, sent)
	return true
}

// release hands shard i's lease over by deleting it on its revision.
func (l *Set) release(ctx context.Context, i int, rev uint64) {
	err := l.kv.Delete(ctx, l.shardKey(i), jetstream.LastRevision(rev))
	if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		if ctx.Err() == nil {
			l.log.Warn("cannot release a lease; it will be renewed and released later, or expire", "shard", i, "error", err)
		}
		return
	}
	l.mu.Lock()
	l.loseLocked(i, false)
	l.mu.Unlock()
}

// wrote records a successful write of shard i's lease sent at sent. The
// server started the TTL after sent, so acting on the lease until sent +
// TTL - margin never overlaps another holder.
func (l *Set) wrote(i int, rev uint64, sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &l.shards[i]
	if !s.held {
		s.held, s.lostCh = true, make(chan struct{})
		l.acquired++
	}
	s.rev, s.renewed, s.valid, s.uncertain = rev, sent, sent.Add(l.ttl-l.margin), false
	d := time.Until(s.valid)
	if s.timer == nil {
		s.timer = time.AfterFunc(d, func() { l.expire(i) })
	} else {
		s.timer.Reset(d)
	}
}

// expire drops shard i's lease when its validity passed without a renewal.
func (l *Set) expire(i int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := &l.shards[i]; s.held && !l.usable(s, time.Now()) {
		l.loseLocked(i, true)
		l.log.Warn("a lease could not be renewed in time; its keys are no longer held here", "shard", i)
	}
}

// loseLocked forgets shard i's lease and cancels the holds under it.
// l.mu is held.
func (l *Set) loseLocked(i int, lost bool) {
	s := &l.shards[i]
	if !s.held {
		return
	}
	s.held, s.draining = false, false
	close(s.lostCh)
	if s.timer != nil {
		s.timer.Stop()
	}
	if lost {
		l.lost++
	} else {
		l.released++
	}
}

func (l *Set) isUncertain(i int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.shards[i].uncertain
}

func (l *Set) setUncertain(i int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shards[i].uncertain = true
}
