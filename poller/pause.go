package poller

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// ScopeAccount is the scope field of the poller's account-level events:
// oms.poll.failing and oms.poll.recovered about the source (the account),
// not about one project.
const ScopeAccount = "account"

// When OMS refuses the account's requests themselves (oms.IsRefused: a
// rotated secret, an unknown key, a RAM policy that denies the API, a 401
// on-premise), every other request would be refused the same way: polling
// each project would send one refused request per project per cycle, log
// one line and, after FailureThreshold cycles, hand off one
// oms.poll.failing per project. Instead the poller pauses the account: no
// poll starts, one line is logged, one account-level oms.poll.failing is
// handed off, Ready says why, and once every PauseProbe one request (the
// one refused) probes whether OMS accepts the account again; when it does,
// polling resumes in that cycle with one oms.poll.recovered. A reload
// builds a new poller, which starts unpaused: new credentials take effect
// at once.

// pause is a paused account.
type pause struct {
	err      error     // the last refusal
	since    time.Time // when the pause began (Options.Now)
	next     time.Time // the next probe
	probe    probe     // what to ask again
	refusals int       // refused requests in a row: the one that paused, then the probes
	sent     bool      // oms.poll.failing was handed off (or is another replica's to hand off)
}

// probe is the request that was refused: a project's describe, or (no
// project) the first page of the fleet.
type probe struct{ project string }

// refused pauses the account after a refused request (the describe of
// pb.project, or a list page), unless it is paused already.
func (p *Poller) refused(ctx context.Context, err error, pb probe) {
	now := p.opts.Now()
	p.mu.Lock()
	if p.pause != nil {
		p.mu.Unlock()
		return
	}
	pa := &pause{err: err, since: now, next: now.Add(p.opts.PauseProbe), probe: pb, refusals: 1}
	p.pause = pa
	p.mu.Unlock()
	p.log.Error("OMS refuses the account's requests; polling paused until it accepts them again (fix the credentials or permissions and reload)",
		"error_code", oms.ErrorCode(err), "request_id", oms.RequestID(err), "error", p.opts.Redactor.Redact(err.Error()),
		"probe_every", p.opts.PauseProbe)
	p.tellPause(ctx, event.TypePollFailing, now)
}

// resume is called as a cycle starts. It reports whether the account may
// be polled: not paused, or paused and its probe, due now, accepted.
func (p *Poller) resume(ctx context.Context) bool {
	now := p.opts.Now()
	p.mu.Lock()
	pa := p.pause
	if pa == nil {
		p.mu.Unlock()
		return true
	}
	if now.Before(pa.next) {
		p.mu.Unlock()
		return false
	}
	pa.next = now.Add(p.opts.PauseProbe) // one probe per interval, whichever group's cycle comes first
	pb := pa.probe
	p.mu.Unlock()
	err := p.probeWith(ctx, pb)
	if ctx.Err() != nil {
		return false
	}
	if err != nil && oms.IsRefused(err) {
		p.mu.Lock()
		pa.err = err
		pa.refusals++
		p.mu.Unlock()
		p.tellPause(ctx, event.TypePollFailing, now) // if it could not be handed off before
		return false
	}
	p.log.Info("OMS accepts the account's requests again; polling resumed", "paused_for", now.Sub(pa.since))
	p.tellPause(ctx, event.TypePollRecovered, now)
	p.mu.Lock()
	p.pause = nil
	p.mu.Unlock()
	return true
}

// probeWith sends the refused request again.
func (p *Poller) probeWith(ctx context.Context, pb probe) error {
	if pb.project != "" || p.opts.Lister == nil {
		p.describes.Add(1)
		_, err := p.opts.Fetcher.Fetch(ctx, pb.project)
		return err
	}
	q := p.fleetQuery()
	q.PageSize = 1
	_, err := p.opts.Lister.List(ctx, q, 1)
	return err
}

// tellPause hands off the account-level event typ for the pause: failing
// once (retried at each probe until it is handed off), recovered only when
// failing was. With Leases, only the replica that holds the lease over
// the source's name does: every replica pauses, one event is told.
func (p *Poller) tellPause(ctx context.Context, typ string, now time.Time) {
	p.mu.Lock()
	if p.pause == nil {
		p.mu.Unlock()
		return
	}
	pa := *p.pause
	p.mu.Unlock()
	if (typ == event.TypePollFailing) == pa.sent || p.oneShot.Load() {
		return // failing told already, recovered from a failing never told, or RunOnce's
	}
	ev := p.pauseEvent(typ, pa, now)
	hctx, done, ok := p.hold(ctx, p.opts.Source)
	if ok {
		defer done()
		if err := p.handoff(hctx, Change{Source: p.opts.Source, Project: p.opts.Source, Time: now, Events: []event.Event{ev}}); err != nil {
			return
		}
	}
	if typ == event.TypePollFailing {
		p.mu.Lock()
		if p.pause != nil {
			p.pause.sent = true
		}
		p.mu.Unlock()
	}
}

// pauseEvent is the account-level oms.poll.failing or oms.poll.recovered
// of pa: subject the source, no project, scope account; its id hashes
// when the pause began, so the same pause told twice is one event.
func (p *Poller) pauseEvent(typ string, pa pause, now time.Time) event.Event {
	sev := event.Warning
	if typ == event.TypePollRecovered {
		sev = event.Info
	}
	src := p.opts.Source
	fields := map[string]any{"scope": ScopeAccount, "failures": pa.refusals,
		"error_code": oms.ErrorCode(pa.err), "error": p.opts.Redactor.Redact(pa.err.Error())}
	return event.Event{
		ID:     event.NewID(src, src, typ, ScopeAccount+"/"+strconv.FormatInt(pa.since.UnixNano(), 10), ""),
		Source: src, Type: typ, Subject: src, Time: now.UTC(), Severity: sev,
		Data: event.Data{Fields: fields},
	}
}

// isPaused reports whether the account is paused.
func (p *Poller) isPaused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pause != nil
}

// Paused reports whether polling is paused because OMS refuses the
// account's requests (see Ready for why).
func (p *Poller) Paused() bool { return p.isPaused() }

// refusal is the refusal that paused the account (the last one), nil when
// it is not paused.
func (p *Poller) refusal() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pause == nil {
		return nil
	}
	return p.pause.err
}

// pauseErr says why the account is paused, nil when it is not.
func (p *Poller) pauseErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pa := p.pause
	if pa == nil {
		return nil
	}
	return fmt.Errorf("polling paused since %s: OMS refuses the account's requests (%s); next probe at %s, or reload with new credentials: %s",
		pa.since.UTC().Format(time.RFC3339), oms.ErrorCode(pa.err), pa.next.UTC().Format(time.RFC3339), p.opts.Redactor.Redact(pa.err.Error()))
}
