package service

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// digester posts the fleet digest on digest.cron (run only): at each fire
// it reads the digest from the store (collectDigest) and puts it in the
// outbox as one oms.watch.digest event for the digest.to targets (not
// routed, like the heartbeat), which the dispatcher delivers with its
// retries and dead letters. A digest that cannot be made or stored is
// logged and counted, and the next fire tries again: it never stops the
// service.
//
// With ha, only the replica that holds the dispatcher lease makes it (the
// one that delivers anyway); and its event id comes from the fire time, so
// two replicas that both thought they held it around a handover store it
// once (the outbox's dedup window).
type digester struct {
	cfg    *config.Config
	next   func(time.Time) time.Time
	source string
	js     jetstream.JetStream
	outbox *sinks.Outbox
	// owns says whether this replica makes the digest (nil: always).
	owns func() bool
	// counted is told each digest's outcome (metrics; may be nil).
	counted func(ok bool)
	log     *slog.Logger
}

// wireDigest builds the digester digest.to asks for (run only: with
// o.ha), after the leases: with ha, the replica holding the dispatcher
// lease makes the digest.
func (a *app) wireDigest(cfg *config.Config, js jetstream.JetStream, o wireOptions) error {
	if !o.ha || len(cfg.Digest.To) == 0 {
		return nil
	}
	next, err := cfg.Digest.Next()
	if err != nil {
		return err
	}
	a.digest = &digester{cfg: cfg, next: next, source: a.source, js: js, outbox: a.delivery.outbox, counted: o.digested,
		log: o.log.With("component", "digest")}
	if a.dispatch != nil {
		a.digest.owns = func() bool { return a.dispatch.Owns(dispatchKey) }
	}
	return nil
}

// digestRoute is the route name of a digest's deliveries, and
// digestRouteIndex keeps their group apart from any route's.
const (
	digestRoute      = "digest"
	digestRouteIndex = -4
)

// run posts a digest at every fire of the schedule until ctx ends.
func (d *digester) run(ctx context.Context) {
	last := time.Time{}
	for {
		now := time.Now()
		fire := d.next(now)
		if fire.IsZero() {
			d.log.Error("the digest schedule never fires again", "cron", d.cfg.Digest.Cron)
			return
		}
		if sleepCtx(ctx, fire.Sub(now)) != nil {
			return
		}
		since := last
		if since.IsZero() {
			since = previousFire(d.next, fire)
		}
		last = fire
		if d.owns != nil && !d.owns() {
			d.log.Debug("another replica delivers the outbox and posts the digest")
			continue
		}
		err := d.post(ctx, fire, since)
		if d.counted != nil {
			d.counted(err == nil)
		}
		if err != nil && ctx.Err() == nil {
			d.log.Error("cannot post the digest; the next one is due at the next fire", "fire", fire.UTC(), "error", err)
		}
	}
}

// post makes the digest of fire (its incidents since since) and stores it
// in the outbox for the digest's targets.
func (d *digester) post(ctx context.Context, fire, since time.Time) error {
	dg, err := collectDigest(ctx, d.js, d.cfg, fire, since)
	if err != nil {
		return err
	}
	fields, err := dg.Fields()
	if err != nil {
		return err
	}
	e := event.Event{ID: event.NewID(d.source, d.source, event.TypeWatchDigest, strconv.FormatInt(fire.Unix(), 10), ""),
		Source: d.source, Type: event.TypeWatchDigest, Subject: d.source, Time: fire.UTC(), Severity: event.Info,
		Data: event.Data{Fields: fields}}
	en := sinks.Entry{Event: e}
	for _, t := range d.cfg.Digest.To {
		en.Deliveries = append(en.Deliveries, sinks.Delivery{Event: e, Target: t, Route: digestRoute, RouteIndex: digestRouteIndex})
	}
	if err := d.outbox.Publish(ctx, []sinks.Entry{en}); err != nil {
		return err
	}
	d.log.Info("digest posted", "fire", fire.UTC(), "projects", dg.Projects, "open_incidents", dg.OpenCount, "targets", len(d.cfg.Digest.To))
	return nil
}

// previousFire is the schedule's last fire before cur: where the first
// digest after a start begins its "since" (later ones begin at the digest
// before). A schedule that fired nowhere in the year before gives a day.
func previousFire(next func(time.Time) time.Time, cur time.Time) time.Time {
	for _, back := range []time.Duration{time.Hour, 25 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		t := next(cur.Add(-back))
		if t.IsZero() || !t.Before(cur) {
			continue
		}
		for {
			n := next(t)
			if n.IsZero() || !n.Before(cur) {
				return t
			}
			t = n
		}
	}
	return cur.Add(-digestDay)
}
