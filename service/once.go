package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/secret"
)

// OnceOptions are what `omswatch once` adds to the configuration.
type OnceOptions struct {
	Logger   *slog.Logger
	Redactor *secret.Redactor
	// Stdout is where the log target prints events, in Format (json or
	// text).
	Stdout io.Writer
	Format string
	// Record, when set, is a file every raw DescribeProject answer is
	// appended to.
	Record string
	// DrainTimeout bounds how long the targets may take to deliver what
	// the poll routed (default 30s).
	DrainTimeout time.Duration
}

// OnceReport is how a once went: its polls, and per target what it could
// not deliver.
type OnceReport struct {
	Polls poller.Summary
	// Undelivered has one line per target that did not take everything
	// routed to it: what was dead-lettered and why, or what was still
	// waiting when the drain timed out. Empty when every target took all.
	Undelivered []string
}

// Once polls every configured and discovered project once, now, and
// routes what changed as Run would (diff, conditions, routes, the outbox,
// every target); then it delivers what it routed, group_wait cut short,
// for up to DrainTimeout. What a target did not take stays in the outbox
// for the next run, and the report says so. A refused account or a fleet
// read that failed is an error after that.
func Once(ctx context.Context, cfg *config.Config, o OnceOptions) (OnceReport, error) {
	var rep OnceReport
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 30 * time.Second
	}
	rec, closeRec, err := openRecorder(o.Record)
	if err != nil {
		return rep, err
	}
	defer closeRec()
	ledger := &deliveryLedger{dead: map[string]int{}, reason: map[string]string{}}
	a, err := wire(ctx, cfg, wireOptions{log: o.Logger, red: o.Redactor, stdout: o.Stdout, logFormat: o.Format, recorder: rec,
		deliveryObserver: ledger})
	if err != nil {
		return rep, err
	}
	defer a.close()
	if err := a.delivery.Start(ctx); err != nil {
		return rep, err
	}
	if rep.Polls, err = a.poller.RunOnce(ctx); err != nil {
		return rep, err
	}
	if err := a.delivery.FlushObservations(ctx); err != nil {
		o.Logger.Warn("the observation log misses this run's quiet polls; a backtest sees a gap", "error", err)
	}
	dctx, cancel := context.WithTimeout(ctx, o.DrainTimeout)
	defer cancel()
	drainErr := a.delivery.Drain(dctx)
	rep.Undelivered = ledger.lines()
	if drainErr != nil {
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for _, name := range a.delivery.TargetNames() {
			if n, err := a.delivery.outbox.Backlog(bctx, name); err == nil && n > 0 {
				rep.Undelivered = append(rep.Undelivered, fmt.Sprintf("target %s: %d %s not delivered within %s; %s in the outbox for the next run",
					name, n, Plural(int(n), "event", "events"), o.DrainTimeout, Plural(int(n), "it stays", "they stay")))
			}
		}
	}
	sum := rep.Polls
	o.Logger.Info("polled", "component", "once", "projects", sum.Polled, "changed", sum.Changed,
		"unchanged", sum.Unchanged, "removed", sum.Removed, "failed", sum.Failed, "not_listed", sum.Unlisted)
	if sum.Paused != nil {
		return rep, fmt.Errorf("OMS refuses the account's requests (%s); polling stopped after %d failed polls: %s",
			oms.ErrorCode(sum.Paused), sum.Failed, o.Redactor.Redact(sum.Paused.Error()))
	}
	if sum.FleetErr != nil {
		// What was polled is delivered and saved; the run still failed.
		return rep, fmt.Errorf("the fleet could not be read (ListProjects); %d projects not polled, their last listed state kept: %s",
			sum.Unlisted, o.Redactor.Redact(sum.FleetErr.Error()))
	}
	return rep, nil
}

// deliveryLedger keeps, per target, what was dead-lettered and the last
// reason (sinks.Observer).
type deliveryLedger struct {
	mu     sync.Mutex
	dead   map[string]int
	reason map[string]string
}

func (l *deliveryLedger) Delivered(string, []event.Event) {}
func (l *deliveryLedger) Retried(string, int)             {}
func (l *deliveryLedger) DeadLettered(target string, n int, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dead[target] += n
	l.reason[target] = reason
}

func (l *deliveryLedger) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, t := range slices.Sorted(maps.Keys(l.dead)) {
		out = append(out, fmt.Sprintf("target %s: %d %s dead-lettered (%s); omswatch deadletter list shows them, resend re-queues them", t, l.dead[t],
			Plural(l.dead[t], "event", "events"), l.reason[t]))
	}
	return out
}
