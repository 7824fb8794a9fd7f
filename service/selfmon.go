package service

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// omswatch's own events (issue 15, point 6) have the source as subject and
// no project, like the account-level oms.poll.* events.

// targetHealth turns the dispatcher's word that a target has failed too
// long (and its recovery) into an oms.target.* event, routed by the rules
// like any event but never to the failing target itself, and a gauge.
type targetHealth struct {
	source   string
	eng      *rules.Engine
	outbox   *sinks.Outbox
	silences func() *rules.Silences
	// fallback is store.delivery.fallback_to: where oms.target.failing
	// goes when the routes send it only to the failing target.
	fallback string
	// gauge is omswatch_target_failing; nil without metrics.
	gauge func(target string, failing bool)
	log   *slog.Logger
}

// healthObserver is the metrics' side of targetHealth.
type healthObserver interface {
	TargetFailing(target string, failing bool)
}

// tell is sinks.DispatcherOptions.Health.
func (h *targetHealth) tell(ctx context.Context, th sinks.TargetHealth) {
	if h.gauge != nil {
		h.gauge(th.Target, th.Failing)
	}
	typ, sev := event.TypeTargetRecovered, event.Info
	fields := map[string]any{"target": th.Target, "since": th.Since.UTC().Format(time.RFC3339)}
	if th.Failing {
		typ, sev = event.TypeTargetFailing, event.Warning
		fields["error"] = th.Error
	} else {
		fields["lasted"] = th.Time.Sub(th.Since).Round(time.Second).String()
	}
	e := event.Event{ID: event.NewID(h.source, h.source, typ, th.Target+"/"+strconv.FormatInt(th.Since.UnixNano(), 10), ""),
		Source: h.source, Type: typ, Subject: h.source, Time: th.Time.UTC(), Severity: sev, Data: event.Data{Fields: fields}}
	var sil *rules.Silences
	if h.silences != nil {
		sil = h.silences()
	}
	out, err := h.eng.Evaluate(rules.Poll{Source: h.source, Events: []event.Event{e}, Now: th.Time, Silences: sil})
	if err != nil || len(out.Events) == 0 {
		h.log.Error("cannot route a target's health event", "type", typ, "target", th.Target, "error", err)
		return
	}
	en := sinks.Entry{Event: out.Events[0]}
	if len(out.Decisions) > 0 {
		for _, d := range Deliveries(out.Decisions[0].Deliveries) {
			if !th.Failing || d.Target != th.Target {
				en.Deliveries = append(en.Deliveries, d)
			}
		}
	}
	if th.Failing && len(en.Deliveries) == 0 && h.fallback != "" && h.fallback != th.Target {
		en.Deliveries = []sinks.Delivery{{Event: en.Event, Target: h.fallback, Route: "fallback", RouteIndex: -1}}
	}
	if err := h.outbox.Publish(ctx, []sinks.Entry{en}); err != nil {
		h.log.Error("cannot store a target's health event", "type", typ, "target", th.Target, "error", err)
	}
}

// heartbeat is omswatch's dead man's switch: one oms.watch.heartbeat to
// its targets every period while polls succeed, and none while they fail.
// A beat is due once a period has passed since the last and polling has
// shown it works since: a poll succeeded, or a poll cycle ended with none
// failed (a fleet of none). So a schedule slower than the period beats
// once per cycle, and a poller that stopped polling does not beat. It sees
// the polls as the poller's Observer, in front of the metrics.
type heartbeat struct {
	every  time.Duration
	to     []string
	source string
	outbox *sinks.Outbox
	next   poller.Observer // may be nil
	log    *slog.Logger

	ok, failed atomic.Int64
	// The beating goroutine's: the poller's cycles and the time at the
	// last beat (or the last window that had only failures).
	cycles int64
	last   time.Time
}

// pollerState is what a beat asks the poller.
type pollerState interface {
	Cycles() int64
	Ready() error
	Watched() int
}

// Polled counts a poll (poller.Observer).
func (h *heartbeat) Polled(result, code string, took time.Duration) {
	if result == poller.ResultFailed {
		h.failed.Add(1)
	} else {
		h.ok.Add(1)
	}
	if h.next != nil {
		h.next.Polled(result, code, took)
	}
}

// FleetUnread passes on (poller.Observer).
func (h *heartbeat) FleetUnread(code string) {
	if h.next != nil {
		h.next.FleetUnread(code)
	}
}

// run checks four times a period whether a beat is due, until ctx ends.
func (h *heartbeat) run(ctx context.Context, p pollerState) {
	tick := time.NewTicker(max(h.every/4, time.Second))
	defer tick.Stop()
	h.cycles, h.last = p.Cycles(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			h.beat(ctx, p, now)
		}
	}
}

// beat publishes a heartbeat when one is due (see heartbeat); it reports
// whether it did.
func (h *heartbeat) beat(ctx context.Context, p pollerState, now time.Time) bool {
	if now.Sub(h.last) < h.every {
		return false
	}
	ok, failed, cycles := h.ok.Load(), h.failed.Load(), p.Cycles()
	ready := p.Ready()
	if ready != nil || (ok == 0 && failed > 0) {
		h.log.Warn("no heartbeat: polls are failing", "failed", failed, "since", h.last.UTC(), "ready", errText(ready))
		h.ok.Add(-ok)
		h.failed.Add(-failed)
		h.last = now
		return false
	}
	if ok == 0 && cycles == h.cycles {
		return false // nothing polled yet: beat when the cycle ends
	}
	h.ok.Add(-ok)
	h.failed.Add(-failed)
	h.cycles, h.last = cycles, now
	slot := now.UTC().Truncate(h.every)
	e := event.Event{ID: event.NewID(h.source, h.source, event.TypeWatchHeartbeat, strconv.FormatInt(slot.Unix(), 10), ""),
		Source: h.source, Type: event.TypeWatchHeartbeat, Subject: h.source, Time: now.UTC(), Severity: event.Info,
		Data: event.Data{Fields: map[string]any{"every": h.every.String(), "projects": p.Watched(), "polls": ok, "failed": failed}}}
	en := sinks.Entry{Event: e}
	for _, t := range h.to {
		en.Deliveries = append(en.Deliveries, sinks.Delivery{Event: e, Target: t, Route: "heartbeat", RouteIndex: -1})
	}
	if err := h.outbox.Publish(ctx, []sinks.Entry{en}); err != nil {
		h.log.Error("cannot store a heartbeat", "error", err)
		return false
	}
	return true
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
