package service

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/alertmanager"
	"github.com/omswatch/omswatch/sinks/pagerduty"
)

// pagingTargets builds the Alertmanager and PagerDuty targets; they link
// to the OMS console when it is known.
func pagingTargets(cfg *config.Config, red *secret.Redactor, add func(string, sinks.Sink, bool, error)) {
	console := cfg.OMS.ConsoleURL()
	for _, name := range slices.Sorted(maps.Keys(cfg.Alertmanager.Targets)) {
		s, err := alertmanager.New(name, cfg.Alertmanager.Targets[name], alertmanager.Options{Redactor: red, ConsoleURL: console})
		add(name, s, false, err)
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.PagerDuty.Targets)) {
		s, err := pagerduty.New(name, cfg.PagerDuty.Targets[name], pagerduty.Options{Redactor: red, ConsoleURL: console})
		add(name, s, false, err)
	}
}

// testPaging checks an Alertmanager or PagerDuty target without paging
// anyone: a test alert already resolved, or a resolve of a test dedup_key.
func testPaging(ctx context.Context, cfg *config.Config, name, id, text string, red *secret.Redactor) (string, error) {
	console := cfg.OMS.ConsoleURL()
	if c, ok := cfg.Alertmanager.Targets[name]; ok {
		s, err := alertmanager.New(name, c, alertmanager.Options{Redactor: red, ConsoleURL: console})
		if err != nil {
			return "", err
		}
		return s.Test(ctx, text)
	}
	s, err := pagerduty.New(name, cfg.PagerDuty.Targets[name], pagerduty.Options{Redactor: red, ConsoleURL: console})
	if err != nil {
		return "", err
	}
	return s.Test(ctx, id)
}

// resender is a target that posts again, on a timer, what it must keep
// alive downstream (an Alertmanager target's firing alerts).
type resender interface{ Run(ctx context.Context) }

// resendLoops run the targets' resend timers while this replica delivers:
// they start with the dispatcher and stop with it, so the replica that
// posted an alert is the one that keeps it firing.
type resendLoops struct {
	targets []resender
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func newResendLoops(targets []sinks.Target) *resendLoops {
	r := &resendLoops{}
	for _, t := range targets {
		if rs, ok := t.Sink.(resender); ok {
			r.targets = append(r.targets, rs)
		}
	}
	return r
}

func (r *resendLoops) start(ctx context.Context) {
	r.stop()
	if r == nil || len(r.targets) == 0 {
		return
	}
	ctx, r.cancel = context.WithCancel(ctx)
	for _, t := range r.targets {
		r.wg.Go(func() { t.Run(ctx) })
	}
}

func (r *resendLoops) stop() {
	if r != nil && r.cancel != nil {
		r.cancel()
		r.wg.Wait()
		r.cancel = nil
	}
}
