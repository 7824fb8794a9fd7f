package poller

import (
	"context"
	"strconv"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// pollEvent builds oms.poll.failing or oms.poll.recovered for pr. Its id
// hashes the run of failures (when it began) and the stored snapshot, so
// the same run reported twice is one event.
func (p *Poller) pollEvent(pr *project, typ string, now time.Time) event.Event {
	sev := event.Warning
	fields := map[string]any{"failures": pr.failures}
	if pr.lastErr != nil {
		fields["error_code"] = oms.ErrorCode(pr.lastErr)
		fields["error"] = p.opts.Redactor.Redact(pr.lastErr.Error())
	}
	if typ == event.TypePollRecovered {
		sev = event.Info
	}
	p.mu.Lock()
	info := pr.info
	p.mu.Unlock()
	if info.ID == "" {
		info.ID = pr.id
	}
	key := strconv.FormatInt(pr.firstFail.UnixNano(), 10)
	return event.Event{
		ID: event.NewID(p.opts.Source, pr.id, typ, key, pr.digest), Source: p.opts.Source,
		Type: typ, Subject: pr.id, Time: now.UTC(), Severity: sev,
		Data: event.Data{Project: info, Fields: fields},
	}
}

// failed accounts for a failed poll: no snapshot changes and no project
// event is made; after FailureThreshold failures in a row oms.poll.failing
// is handed off, once per run of failures. The count is saved with the
// project's record, so that runs of `omswatch once` add up as polls of a
// long-running poller do.
func (p *Poller) failed(ctx context.Context, pr *project, err error, now time.Time) outcome {
	pr.failedWith(err, now)
	p.log.Warn("poll failed", "project", pr.id, "failures", pr.failures, "error_code", pr.failCode,
		"request_id", oms.RequestID(err), "error", p.opts.Redactor.Redact(err.Error()))
	if pr.failures >= p.opts.FailureThreshold && !pr.failingSent {
		ev := p.pollEvent(pr, event.TypePollFailing, now)
		if herr := p.handoff(ctx, Change{Source: p.opts.Source, Project: pr.id, Time: now, Events: []event.Event{ev}}); herr == nil {
			pr.failingSent = true
		}
	}
	p.saveState(ctx, pr)
	return outcomeFailed
}

// succeeded ends a run of failures, returning oms.poll.recovered when
// oms.poll.failing was sent for it. The caller hands it off.
func (p *Poller) succeeded(pr *project, now time.Time) []event.Event {
	var evs []event.Event
	if pr.failingSent {
		evs = append(evs, p.pollEvent(pr, event.TypePollRecovered, now))
	}
	return evs
}
