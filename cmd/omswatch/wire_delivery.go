package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/rules/kvstate"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

// delivery is everything after the poller: the rules (state and silences
// in key-value buckets), the outbox and the dispatcher with its targets.
// `once` and `run` share it: Start, hand changes to Handler, then Drain
// (deliver what waits, group_wait cut short) and Close.
type delivery struct {
	pipe       *pipeline
	state      *kvstate.Store
	outbox     *sinks.Outbox
	disp       *sinks.Dispatcher
	silences   *kvstate.Silences
	watcher    *kvstate.Watcher
	stopWatch  context.CancelFunc
	log        *slog.Logger
	watchError func(error)
}

// deliveryOptions are what a command adds to the configuration.
type deliveryOptions struct {
	stdout    io.Writer
	logFormat string
	red       *secret.Redactor
	log       *slog.Logger
}

// newDelivery compiles the rules, opens their buckets and the outbox's
// streams and builds every target. Nothing runs until Start.
func newDelivery(ctx context.Context, cfg *config.Config, js jetstream.JetStream, o deliveryOptions) (*delivery, error) {
	eng, err := buildRules(cfg)
	if err != nil {
		return nil, err
	}
	state, err := kvstate.NewStore(ctx, js, kvstate.Options{Bucket: cfg.Rules.StateBucket})
	if err != nil {
		return nil, err
	}
	silences, err := kvstate.NewSilences(ctx, js, kvstate.Options{Bucket: cfg.Rules.SilenceBucket})
	if err != nil {
		return nil, err
	}
	st := cfg.Store
	outbox, err := sinks.NewOutbox(ctx, js, sinks.OutboxOptions{MaxAge: st.Retention.MaxAge.Duration(),
		MaxBytes: int64(st.Retention.MaxBytes), DedupWindow: st.DedupWindow.Duration(), Logger: o.log})
	if err != nil {
		return nil, err
	}
	targets, err := buildTargets(ctx, cfg, targetOptions{js: js, eng: eng, red: o.red, stdout: o.stdout, logFormat: o.logFormat})
	if err != nil {
		return nil, err
	}
	disp, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: outbox, Targets: targets,
		MaxAttempts: st.Delivery.MaxAttempts, InitialBackoff: st.Delivery.InitialBackoff.Duration(),
		MaxBackoff: st.Delivery.MaxBackoff.Duration(), Redactor: o.red, Logger: o.log})
	if err != nil {
		return nil, err
	}
	d := &delivery{outbox: outbox, disp: disp, silences: silences, state: state, log: o.log.With("component", "delivery")}
	d.pipe = &pipeline{eng: eng, state: state, outbox: outbox, silences: d.currentSilences, log: o.log.With("component", "pipeline")}
	return d, nil
}

// Handler is the poller's next stage.
func (d *delivery) Handler() *pipeline { return d.pipe }

// Start follows the silences and starts delivering.
func (d *delivery) Start(ctx context.Context) error {
	wctx, cancel := context.WithCancel(ctx)
	w, err := d.silences.Watch(wctx, func(err error) { d.log.Warn("a silence is left out", "error", err) })
	if err != nil {
		cancel()
		return fmt.Errorf("silences: %w", err)
	}
	d.watcher, d.stopWatch = w, cancel
	if err := d.disp.Start(ctx); err != nil {
		d.Close()
		return err
	}
	return nil
}

func (d *delivery) currentSilences() *rules.Silences {
	if d.watcher == nil {
		return nil
	}
	return d.watcher.Silences()
}

// Tick re-evaluates, at now, the conditions of every project the rules
// hold a state for (a condition pending or firing), on its stored
// snapshot. A project whose state does not change is not handed off by the
// poller, yet its conditions' for, keep_firing_for and repeat_interval run
// on: `run` calls Tick on a timer (every poll interval) so that "FAILED for
// 10m" fires on a project that stays FAILED.
func (d *delivery) Tick(ctx context.Context, snapshots poller.Store, now time.Time) error {
	keys, err := d.state.Projects(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, k := range keys {
		rec, err := snapshots.Get(ctx, k.Source, k.Project)
		if errors.Is(err, poller.ErrNotFound) || (err == nil && rec.Snapshot == nil) {
			continue // gone: its state was resolved with it
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c := poller.Change{Source: k.Source, Project: k.Project, Time: now, Previous: rec.Snapshot, Current: rec.Snapshot}
		if err := d.pipe.Handle(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Drain delivers what the outbox holds for the targets now and returns
// when they are done or ctx ends.
func (d *delivery) Drain(ctx context.Context) error { return d.disp.Drain(ctx) }

// Close stops delivering; what was not delivered stays in the outbox for
// the next start.
func (d *delivery) Close() {
	d.disp.Close()
	if d.stopWatch != nil {
		d.stopWatch()
		<-d.watcher.Done()
		d.stopWatch = nil
	}
}
