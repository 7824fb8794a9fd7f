package sinks

import (
	"context"
	"time"
)

// TargetHealth tells that a target has failed for longer than
// DispatcherOptions.FailingAfter without one success (Failing), or that it
// delivered again after that (not Failing): once per outage, not once per
// retry.
type TargetHealth struct {
	Target  string
	Failing bool
	// Since is the first failure of the outage; Time is now (the failure
	// that crossed the threshold, or the success that ended it).
	Since, Time time.Time
	// Error is the last failure's reason (secrets redacted).
	Error string
}

// health is a worker's run of failures without a success.
type health struct {
	since time.Time // zero: the last send succeeded
	told  bool      // Failing was told for this run
}

// failed notes a failed send; it tells Health once the run is longer than
// FailingAfter. The worker's goroutine only.
func (w *worker) failed(ctx context.Context, reason string) {
	now := w.d.opts.Now()
	if w.health.since.IsZero() {
		w.health.since = now
	}
	if w.health.told || now.Sub(w.health.since) < w.d.opts.FailingAfter {
		return
	}
	w.health.told = true
	w.log.Error("the target has been failing for longer than store.delivery.failing_after", "since", w.health.since.UTC(),
		"failing_after", w.d.opts.FailingAfter, "error", reason)
	if w.d.opts.Health != nil {
		w.d.opts.Health(ctx, TargetHealth{Target: w.t.Name, Failing: true, Since: w.health.since, Time: now, Error: reason})
	}
}

// succeeded ends a run of failures, telling Health if it told of it.
func (w *worker) succeeded(ctx context.Context) {
	if w.health.since.IsZero() {
		return
	}
	since, told := w.health.since, w.health.told
	w.health = health{}
	if !told {
		return
	}
	now := w.d.opts.Now()
	w.log.Info("the target delivers again", "since", since.UTC(), "lasted", now.Sub(since).Round(time.Second))
	if w.d.opts.Health != nil {
		w.d.opts.Health(ctx, TargetHealth{Target: w.t.Name, Since: since, Time: now})
	}
}
