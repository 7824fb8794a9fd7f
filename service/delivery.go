package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/incident"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/rules/kvstate"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

// delivery is everything after the poller: the rules (state and silences
// in key-value buckets), the outbox and the dispatcher with its targets.
// `once` and `run` share it: Start, hand changes to Handler, then Drain
// (deliver what waits, group_wait cut short) and Close. With ha, `run`
// starts the rules alone (StartRules) and runs the dispatcher only while
// this replica holds the dispatcher lease (StartDispatcher and
// StopDispatcher, any number of times): one replica delivers, so a
// target's messages are neither split between replicas nor reordered.
type delivery struct {
	pipe      *pipeline
	state     *kvstate.Store
	outbox    *sinks.Outbox
	eng       *rules.Engine
	dispOpts  sinks.DispatcherOptions
	silences  *kvstate.Silences
	watcher   *kvstate.Watcher
	stopWatch context.CancelFunc
	log       *slog.Logger

	mu     sync.Mutex
	disp   *sinks.Dispatcher // nil while not delivering
	resend *resendLoops      // started and stopped with disp
}

// deliveryOptions are what a command adds to the configuration.
type deliveryOptions struct {
	stdout    io.Writer
	logFormat string
	red       *secret.Redactor
	log       *slog.Logger
	// observer hears every delivery (metrics); may be nil.
	observer sinks.Observer
	// pipeObserver hears every hand-off's events (metrics); may be nil.
	pipeObserver pipelineObserver
	// source is the events' source, for omswatch's own (oms.target.*).
	source string
}

// newDelivery compiles the rules, opens their buckets and the outbox's
// streams and builds every target. Nothing runs until Start.
func newDelivery(ctx context.Context, cfg *config.Config, js jetstream.JetStream, o deliveryOptions) (*delivery, error) {
	eng, err := BuildRules(cfg)
	if err != nil {
		return nil, err
	}
	st := cfg.Store
	state, err := kvstate.NewStore(ctx, js, kvstate.Options{Bucket: cfg.Rules.StateBucket, Replicas: st.Replicas})
	if err != nil {
		return nil, err
	}
	silences, err := kvstate.NewSilences(ctx, js, kvstate.Options{Bucket: cfg.Rules.SilenceBucket, Replicas: st.Replicas})
	if err != nil {
		return nil, err
	}
	outbox, err := sinks.NewOutbox(ctx, js, sinks.OutboxOptions{MaxAge: st.Retention.MaxAge.Duration(),
		MaxBytes: int64(st.Retention.MaxBytes), DedupWindow: st.DedupWindow.Duration(), Replicas: st.Replicas, Logger: o.log})
	if err != nil {
		return nil, err
	}
	targets, err := buildTargets(ctx, cfg, targetOptions{js: js, red: o.red, stdout: o.stdout, logFormat: o.logFormat})
	if err != nil {
		return nil, err
	}
	d := &delivery{outbox: outbox, eng: eng, silences: silences, state: state, resend: newResendLoops(targets),
		log: o.log.With("component", "delivery"),
		dispOpts: sinks.DispatcherOptions{Outbox: outbox, MaxAttempts: st.Delivery.MaxAttempts,
			InitialBackoff: st.Delivery.InitialBackoff.Duration(), MaxBackoff: st.Delivery.MaxBackoff.Duration(),
			Grouping: groupOptions(cfg), Targets: targets, Redactor: o.red, Logger: o.log, Observer: o.observer}}
	d.selfMonitor(cfg, o)
	// Check the dispatcher's options now, not at the first lease.
	if _, err := d.newDispatcher(); err != nil {
		return nil, err
	}
	d.pipe = &pipeline{eng: eng, state: state, outbox: outbox, silences: d.currentSilences,
		observer: o.pipeObserver, announce: newAnnouncer(cfg), routes: newRouteNames(eng), log: o.log.With("component", "pipeline")}
	d.pipe.record = newRecorder(outbox)
	if cfg.Incidents.Enabled {
		store, err := incident.NewKVStore(ctx, js, incident.KVOptions{Bucket: cfg.Incidents.Bucket, Replicas: st.Replicas})
		if err != nil {
			return nil, err
		}
		d.pipe.incidents = newIncidents(cfg, store, eng)
	}
	return d, nil
}

// selfMonitor adds the fallback of critical dead letters and the
// oms.target.* events (with the omswatch_target_failing gauge) to the
// dispatcher's options.
func (d *delivery) selfMonitor(cfg *config.Config, o deliveryOptions) {
	th := &targetHealth{source: o.source, eng: d.eng, outbox: d.outbox, silences: d.currentSilences,
		fallback: cfg.Store.Delivery.FallbackTo, log: d.log}
	if m, ok := o.observer.(healthObserver); ok {
		th.gauge = m.TargetFailing
		for _, t := range d.dispOpts.Targets {
			m.TargetFailing(t.Name, false) // a series from the start, for dashboards
		}
	}
	d.dispOpts.FallbackTo, d.dispOpts.Health = cfg.Store.Delivery.FallbackTo, th.tell
	d.dispOpts.FailingAfter = cfg.Store.Delivery.FailingAfter.Duration()
}

// newDispatcher builds a dispatcher over the targets. Each has its groups
// afresh: what an earlier dispatcher held in its groups was never
// acknowledged and comes back from the stream.
func (d *delivery) newDispatcher() (*sinks.Dispatcher, error) {
	return sinks.NewDispatcher(d.dispOpts)
}

// Handler is the poller's next stage.
func (d *delivery) Handler() *pipeline { return d.pipe }

// TargetNames are the names of every target, for the backlog metric.
func (d *delivery) TargetNames() []string {
	out := make([]string, len(d.dispOpts.Targets))
	for i, t := range d.dispOpts.Targets {
		out[i] = t.Name
	}
	return out
}

// Start follows the silences and starts delivering.
func (d *delivery) Start(ctx context.Context) error {
	if err := d.StartRules(ctx); err != nil {
		return err
	}
	if err := d.StartDispatcher(ctx); err != nil {
		d.Close()
		return err
	}
	return nil
}

// StartRules follows the silences, which the rules read.
func (d *delivery) StartRules(ctx context.Context) error {
	wctx, cancel := context.WithCancel(ctx)
	w, err := d.silences.Watch(wctx, func(err error) { d.log.Warn("a silence is left out", "error", err) })
	if err != nil {
		cancel()
		return fmt.Errorf("silences: %w", err)
	}
	d.watcher, d.stopWatch = w, cancel
	return nil
}

// StartDispatcher starts delivering the outbox to the targets; its workers
// stop when ctx ends or at StopDispatcher.
func (d *delivery) StartDispatcher(ctx context.Context) error {
	disp, err := d.newDispatcher()
	if err != nil {
		return err
	}
	if err := disp.Start(ctx); err != nil {
		return err
	}
	d.mu.Lock()
	d.disp = disp
	d.resend.start(ctx)
	d.mu.Unlock()
	return nil
}

// EnsureConsumers creates the targets' durable consumers that do not
// exist yet, so that events published before any dispatcher starts (ha:
// another replica may hold the dispatcher lease, or none yet) are
// delivered when one does.
func (d *delivery) EnsureConsumers(ctx context.Context) error {
	disp, err := d.newDispatcher()
	if err != nil {
		return err
	}
	return disp.EnsureConsumers(ctx)
}

// StopDispatcher stops delivering: first, when drain is not nil, it
// delivers what the outbox holds (group_wait cut short) until drain ends.
// What is not delivered stays in the outbox for the next dispatcher.
func (d *delivery) StopDispatcher(drain context.Context) error {
	d.mu.Lock()
	disp := d.disp
	d.disp = nil
	d.resend.stop()
	d.mu.Unlock()
	if disp == nil {
		return nil
	}
	var err error
	if drain != nil {
		err = disp.Drain(drain)
	}
	disp.Close()
	return err
}

func (d *delivery) currentSilences() *rules.Silences {
	if d.watcher == nil {
		return nil
	}
	return d.watcher.Silences()
}

// Drain delivers what the outbox holds for the targets now and returns
// when they are done or ctx ends. Without a dispatcher running (another
// replica delivers) there is nothing to drain here.
func (d *delivery) Drain(ctx context.Context) error {
	d.mu.Lock()
	disp := d.disp
	d.mu.Unlock()
	if disp == nil {
		return nil
	}
	return disp.Drain(ctx)
}

// Close stops delivering; what was not delivered stays in the outbox for
// the next start.
func (d *delivery) Close() {
	_ = d.StopDispatcher(nil)
	if d.stopWatch != nil {
		d.stopWatch()
		<-d.watcher.Done()
		d.stopWatch = nil
	}
}
