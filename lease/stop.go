package lease

import (
	"context"
	"encoding/base64"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/internal/ctxsleep"
)

// watch wakes Run when the shares may have changed: a member joined or
// left, or a lease was released or expired (markers make expiries
// visible). Renewals, the bulk of the traffic, wake nobody. Without the
// watch (it failed), rounds still run every RenewInterval.
func (l *Set) watch(ctx context.Context) {
	w, err := l.kv.WatchFiltered(ctx, []string{l.memberPrefix() + ">", "shards." + l.prefix + ">"}, jetstream.UpdatesOnly())
	if err != nil {
		l.log.Warn("cannot watch the lease bucket; relying on the renew interval alone", "error", err)
		return
	}
	go func() {
		defer func() { _ = w.Stop() }()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e != nil && l.wakes(e) {
					l.wake()
				}
			}
		}
	}()
}

// wakes reports whether a bucket change may change this replica's share.
func (l *Set) wakes(e jetstream.KeyValueEntry) bool {
	if e.Operation() != jetstream.KeyValuePut {
		return true
	}
	enc, ok := strings.CutPrefix(e.Key(), l.memberPrefix())
	if !ok {
		return false
	}
	id, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.members {
		if m == string(id) {
			return false
		}
	}
	return true
}

// releaseAll hands every lease back when the replica stops: it leaves the
// members first, so the others want its shards, then deletes each lease as
// the holds under it end (renewing those still busy), for at most the TTL,
// after which anything left would have expired anyway. Whatever could not
// be released (NATS gone) expires on the server; locally it is dropped.
func (l *Set) releaseAll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, l.ttl)
	defer cancel()
	if err := l.kv.Delete(ctx, l.memberKey()); err != nil {
		l.log.Warn("cannot leave the replicas; the others take over when the leases expire", "error", err)
	}
	l.mu.Lock()
	for i := range l.shards {
		l.shards[i].draining = l.shards[i].held
	}
	l.mu.Unlock()
	for {
		var busy atomic.Int64
		l.eachShard(ctx, func(i int) {
			l.mu.Lock()
			s := &l.shards[i]
			held, holds, rev, renewed := s.held, s.holds, s.rev, s.renewed
			l.mu.Unlock()
			switch {
			case !held:
			case holds == 0:
				l.release(ctx, i, rev)
			default:
				busy.Add(1)
				if time.Since(renewed) >= l.renew/2 {
					l.renewLease(ctx, i, rev)
				}
			}
		})
		if busy.Load() == 0 || ctxsleep.Sleep(ctx, 20*time.Millisecond) != nil {
			break
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	left := 0
	for i := range l.shards {
		if l.shards[i].held {
			left++
			l.loseLocked(i, false)
		}
	}
	if left > 0 {
		l.log.Warn("stopped without releasing every lease; the others take those over when they expire", "leases", left, "ttl", l.ttl)
	} else {
		l.log.Info("every lease released")
	}
}
