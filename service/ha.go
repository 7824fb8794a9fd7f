package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/lease"
)

// With ha, replicas share two kinds of leases in JetStream key-value
// buckets (lease.Set: Create/Update on revisions, every write expiring
// after the TTL):
//
//   - the project leases (ha.bucket): each project is polled, and its
//     conditions evaluated, by the one replica holding its shard;
//   - the dispatcher lease (ha.bucket + "-dispatch", one shard): the one
//     replica holding it delivers the outbox. Every target reads the
//     stream through one durable consumer; two replicas pulling from it
//     would split a target's messages between them, losing their order
//     and Slack's grouping.
//
// So no notification is sent twice by construction: a change is seen by
// one replica (project lease), its events have deterministic ids, the
// outbox stores an id once (Nats-Msg-Id within the dedup window), and one
// replica delivers (dispatcher lease), acknowledging each message after
// its target took it; a replica that takes a lease over resumes from the
// consumer's acknowledgements.

// dispatchGroup and dispatchKey name the dispatcher lease: one group for
// every deployment on the NATS, because they share the outbox stream, and
// one key in it. (The group's name is what older versions called the
// lease's source, so their buckets keep working.)
const (
	dispatchGroup = "omswatch-outbox"
	dispatchKey   = "dispatcher"
)

// replicaID is ha.replica_id, or hostname-pid.
func replicaID(cfg *config.Config) string {
	if cfg.HA.ReplicaID != "" {
		return cfg.HA.ReplicaID
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "omswatch"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// wireLeases opens both lease buckets (neither is joined until Run).
func (a *app) wireLeases(ctx context.Context, cfg *config.Config, js jetstream.JetStream, log *slog.Logger) error {
	h := cfg.HA
	o := lease.Options{Bucket: h.Bucket, Group: a.source, Replica: replicaID(cfg), TTL: h.LeaseTTL.Duration(),
		RenewInterval: h.RenewInterval.Duration(), Replicas: cfg.Store.Replicas, Logger: log}
	leases, err := lease.New(ctx, js, o)
	if err != nil {
		return err
	}
	o.Bucket, o.Group, o.Shards = h.Bucket+"-dispatch", dispatchGroup, 1
	o.Logger = log.With("lease", "dispatcher")
	dispatch, err := lease.New(ctx, js, o)
	if err != nil {
		return err
	}
	a.leases, a.dispatch = leases, dispatch
	return nil
}

// dispatchUnderLease runs the dispatcher while this replica holds the
// dispatcher lease, until stop ends. The lease is held (Hold) for as long
// as the dispatcher runs, so the lease.Set hands it over only once the
// dispatcher stopped. When the lease is to move to another replica (a
// replica joined), the dispatcher first delivers what it holds; when it is
// lost (not renewed in time), it stops at once. When stop ends, it drains
// until drain's deadline: the shutdown's flush.
func (a *app) dispatchUnderLease(stop, leaseCtx context.Context, drain func() (context.Context, context.CancelFunc), log *slog.Logger) {
	poll := min(a.dispatch.TTL()/10, 250*time.Millisecond)
	for {
		for !a.dispatch.Owns(dispatchKey) {
			if sleepCtx(stop, poll) != nil {
				return
			}
		}
		hctx, done, ok := a.dispatch.Hold(leaseCtx, dispatchKey)
		if !ok {
			continue
		}
		if err := a.delivery.StartDispatcher(hctx); err != nil {
			log.Error("cannot start delivering; retrying", "error", err)
			done()
			if sleepCtx(stop, time.Second) != nil {
				return
			}
			continue
		}
		log.Info("this replica delivers the outbox now")
		for hctx.Err() == nil && stop.Err() == nil && a.dispatch.Owns(dispatchKey) {
			_ = sleepCtx(stop, poll)
		}
		a.handOver(hctx, stop, drain, log)
		done()
		if stop.Err() != nil {
			return
		}
	}
}

// handOver stops the dispatcher: at once when the lease is lost, else
// after delivering what it holds (for at most half the lease's TTL on a
// handover, until the drain deadline at shutdown).
func (a *app) handOver(hctx, stop context.Context, drain func() (context.Context, context.CancelFunc), log *slog.Logger) {
	if hctx.Err() != nil {
		log.Warn("the dispatcher lease was lost; another replica delivers now")
		_ = a.delivery.StopDispatcher(nil)
		return
	}
	var dctx context.Context
	var cancel context.CancelFunc
	if stop.Err() != nil {
		dctx, cancel = drain()
		defer context.AfterFunc(hctx, cancel)() // the lease lost while draining: stop
	} else {
		dctx, cancel = context.WithTimeout(hctx, a.dispatch.TTL()/2)
	}
	defer cancel()
	if err := a.delivery.StopDispatcher(dctx); err != nil {
		log.Warn("not everything was delivered; it stays in the outbox for the next dispatcher", "error", err)
	}
	log.Info("this replica no longer delivers the outbox")
}

// sleepCtx waits d or until ctx ends (then its error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
