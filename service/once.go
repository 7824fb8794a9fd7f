package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/omswatch/omswatch/config"
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

// Once polls every configured and discovered project once, now, and
// routes what changed as Run would (diff, conditions, routes, the outbox,
// every target); then it delivers what it routed, group_wait cut short,
// for up to DrainTimeout. What a target did not take stays in the outbox
// for the next run. A refused account or a fleet read that failed is an
// error after that.
func Once(ctx context.Context, cfg *config.Config, o OnceOptions) (poller.Summary, error) {
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 30 * time.Second
	}
	rec, closeRec, err := openRecorder(o.Record)
	if err != nil {
		return poller.Summary{}, err
	}
	defer closeRec()
	a, err := wire(ctx, cfg, wireOptions{log: o.Logger, red: o.Redactor, stdout: o.Stdout, logFormat: o.Format, recorder: rec})
	if err != nil {
		return poller.Summary{}, err
	}
	defer a.close()
	if err := a.delivery.Start(ctx); err != nil {
		return poller.Summary{}, err
	}
	sum, err := a.poller.RunOnce(ctx)
	if err != nil {
		return sum, err
	}
	dctx, cancel := context.WithTimeout(ctx, o.DrainTimeout)
	defer cancel()
	if err := a.delivery.Drain(dctx); err != nil {
		o.Logger.Warn("not everything was delivered; it stays in the outbox", "component", "once", "error", err)
	}
	o.Logger.Info("polled", "component", "once", "projects", sum.Polled, "changed", sum.Changed,
		"unchanged", sum.Unchanged, "removed", sum.Removed, "failed", sum.Failed, "not_listed", sum.Unlisted)
	if sum.Paused != nil {
		return sum, fmt.Errorf("OMS refuses the account's requests (%s); polling stopped after %d failed polls: %s",
			oms.ErrorCode(sum.Paused), sum.Failed, o.Redactor.Redact(sum.Paused.Error()))
	}
	if sum.FleetErr != nil {
		// What was polled is delivered and saved; the run still failed.
		return sum, fmt.Errorf("the fleet could not be read (ListProjects); %d projects not polled, their last listed state kept: %s",
			sum.Unlisted, o.Redactor.Redact(sum.FleetErr.Error()))
	}
	return sum, nil
}
