package poller

import (
	"context"
	"errors"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// outcome is how one poll of a project ended.
type outcome int

const (
	outcomeUnchanged outcome = iota // polled; nothing to hand off
	outcomeChanged                  // a change was handed off and saved
	outcomeFailed                   // the poll failed (or its hand-off or save did)
	outcomeRemoved                  // the project is gone
	outcomeSkipped                  // not polled: busy, removed, or the cycle ended
	outcomeUnlisted                 // not polled: the fleet read failed, and the project was not due
)

// poll polls one project: from its ListProjects entry when the work has
// one and two-tier polling allows, else with DescribeProject; when the
// cycle could not read the fleet (w.unlisted), only if a describe is due
// anyway.
func (p *Poller) poll(ctx context.Context, w work) outcome {
	pr, entry := w.pr, w.entry
	if !pr.busy.TryLock() {
		return outcomeSkipped
	}
	defer pr.busy.Unlock()
	pr.failCode, pr.pollErr = "", nil
	if ctx.Err() != nil || p.isRemoved(pr) || p.isPaused() {
		return outcomeSkipped
	}
	if err := p.load(ctx, pr); err != nil {
		p.log.Error("cannot read the stored snapshot; not polling", "project", pr.id, "error", err)
		return outcomeFailed
	}
	if p.isRemoved(pr) {
		return outcomeSkipped
	}
	slot := handoffSlot{ch: p.handoffs}
	if w.catchUp {
		slot.ch = p.catchUp
	}
	if !slot.take(ctx) {
		return outcomeSkipped
	}
	defer slot.release()
	now := p.opts.Now()
	listState := "" // the entry's state digest, computed once: it encodes the whole entry
	if entry != nil {
		listState = entry.StateDigest()
	}
	if entry != nil && p.listIsEnough(pr, listState, now) {
		return p.refresh(ctx, pr, entry, now)
	}
	if w.unlisted && p.describeCanWait(pr, now) {
		return outcomeUnlisted // its last listed state stands until the fleet is read again
	}
	if entry != nil && !p.mayDescribe(pr, listState, now) {
		return p.listed(ctx, pr, entry, listState, now)
	}
	p.describes.Add(1)
	slot.release() // waiting on OMS is not work: another poll may use the slot
	snap, err := p.opts.Fetcher.Fetch(ctx, pr.id)
	if !slot.take(ctx) {
		return outcomeSkipped // shutting down
	}
	now = p.opts.Now() // observed when OMS answered, not when the request queued for the account's rate
	if err != nil {
		if ctx.Err() != nil {
			return outcomeSkipped // shutting down: not the project's failure
		}
		if oms.IsProjectNotFound(err) && p.gone(ctx, pr.id) {
			return p.remove(ctx, pr, now)
		}
		if oms.IsRefused(err) {
			// The account's failure, not the project's: no count, no event of its own.
			pr.pollErr, pr.failCode = err, oms.ErrorCode(err)
			p.refused(ctx, err, probe{project: pr.id})
			return outcomeFailed
		}
		return p.failed(ctx, pr, err, now)
	}
	listDigest, listFull := pr.listDigest, pr.listFull
	if entry != nil {
		listDigest, listFull = listState, entry.Digest()
	}
	return p.observed(ctx, pr, snap, listDigest, listFull, now)
}

// handoffSlot is a poll's hold on one of the poller's hand-off slots
// (Options.Handoffs).
type handoffSlot struct {
	ch   chan struct{}
	held bool
}

// take waits for a slot; false when ctx ended first.
func (s *handoffSlot) take(ctx context.Context) bool {
	if s.held {
		return true
	}
	select {
	case s.ch <- struct{}{}:
		s.held = true
		return true
	case <-ctx.Done():
		return false
	}
}

// release gives the slot back, if held.
func (s *handoffSlot) release() {
	if s.held {
		<-s.ch
		s.held = false
	}
}

// listIsEnough reports whether the ListProjects entry can stand in for a
// describe: two-tier mode, the project described before and its periodic
// re-describe not due (see refreshAt), not marked describe-always, and its
// listed state unchanged.
func (p *Poller) listIsEnough(pr *project, listState string, now time.Time) bool {
	return p.describeCanWait(pr, now) && listState == pr.listDigest
}

// describeCanWait reports whether only a change of the project's listed
// state would make it described now: two-tier mode, the project listed
// and described before, not marked describe-always, its periodic
// re-describe not due.
func (p *Poller) describeCanWait(pr *project, now time.Time) bool {
	return p.opts.Mode == TwoTier && !p.always[pr.id] && pr.listDigest != "" && !p.refreshDue(pr, now)
}

// mayDescribe reports whether the describe budget (see budget.go) lets a
// project whose list entry's state is listState be described now.
func (p *Poller) mayDescribe(pr *project, listState string, now time.Time) bool {
	if p.budget == nil || p.always[pr.id] {
		return true
	}
	changed := pr.digest != "" && listState != pr.listDigest
	return p.budget.allow(changed, now)
}

// listed takes the project's state from its list entry, for want of a
// describe (see budget.go): the entry's members, and those it lacks from
// the stored snapshot (the last describe's). The describe it stands for
// is still due: the project's last describe stays as it was.
func (p *Poller) listed(ctx context.Context, pr *project, entry *oms.Snapshot, listState string, now time.Time) outcome {
	if pr.digest != "" && listState == pr.listDigest {
		return p.refresh(ctx, pr, entry, now) // nothing new but telemetry
	}
	evs := p.succeeded(pr, now)
	if len(evs) == 0 {
		pr.resetFailures() // a success ends a run of failures that sent nothing
	}
	prev, cur := Record{Revision: pr.rev}, entry
	if pr.digest != "" {
		var err error
		if prev, err = p.opts.Store.Get(ctx, p.opts.Source, pr.id); err != nil || prev.Snapshot == nil {
			pr.loaded = false // read it afresh next time
			p.log.Error("cannot read the stored snapshot", "project", pr.id, "error", err)
			return outcomeFailed
		}
		if cur, err = entry.WithMembersFrom(prev.Snapshot); err != nil {
			return p.failed(ctx, pr, err, now)
		}
	}
	p.fromList.Add(1)
	next := Record{Snapshot: cur, ListDigest: listState, ListFull: entry.Digest(), DescribedAt: pr.describedAt,
		ObservedAt: now, Status: textField(cur, "Status")}
	return p.commit(ctx, pr, prev, next, evs)
}

// refresh brings the stored snapshot's telemetry (sync delay, checkpoints,
// running step) up to date from the list entry, without a describe.
func (p *Poller) refresh(ctx context.Context, pr *project, entry *oms.Snapshot, now time.Time) outcome {
	evs := p.succeeded(pr, now)
	if len(evs) == 0 {
		pr.resetFailures() // a success ends a run of failures that sent nothing
	}
	if entry.Digest() == pr.listFull {
		return p.quiet(ctx, pr, nil, evs, now)
	}
	rec, err := p.opts.Store.Get(ctx, p.opts.Source, pr.id)
	if err != nil || rec.Snapshot == nil {
		pr.loaded = false // read it afresh next time
		p.log.Error("cannot read the stored snapshot", "project", pr.id, "error", err)
		return outcomeFailed
	}
	cur, err := rec.Snapshot.WithTelemetryFrom(entry)
	if err != nil {
		return p.failed(ctx, pr, err, now)
	}
	pr.listFull = entry.Digest()
	if cur.Digest() == rec.Snapshot.Digest() {
		return p.quiet(ctx, pr, rec.Snapshot, evs, now)
	}
	rec.Revision = pr.rev
	return p.commit(ctx, pr, rec, pr.refreshed(cur, now), evs)
}

// observed handles a described snapshot, the project's listed state being
// listDigest (listFull in full).
func (p *Poller) observed(ctx context.Context, pr *project, snap *oms.Snapshot, listDigest, listFull string, now time.Time) outcome {
	evs := p.succeeded(pr, now)
	if len(evs) == 0 {
		pr.resetFailures() // a success ends a run of failures that sent nothing
	}
	next := pr.described(snap, listDigest, listFull, now)
	if snap.Digest() == pr.digest && !terminal(next.Status) {
		pr.describedUnchanged(listDigest, listFull, now)
		return p.quiet(ctx, pr, snap, evs, now)
	}
	prev := Record{Revision: pr.rev}
	if pr.digest != "" {
		var err error
		if prev, err = p.opts.Store.Get(ctx, p.opts.Source, pr.id); err != nil {
			pr.loaded = false
			p.log.Error("cannot read the stored snapshot", "project", pr.id, "error", err)
			return outcomeFailed
		}
		if prev.Snapshot != nil && prev.DescribedAt.IsZero() {
			// Only ever listed (see listed): what the list does not carry
			// is seen now for the first time, and is no change.
			if prev.Snapshot, err = prev.Snapshot.WithMembersFrom(snap); err != nil {
				return p.failed(ctx, pr, err, now)
			}
		}
	}
	return p.commit(ctx, pr, prev, next, evs)
}

// commit hands off the change from prev to next (a record not yet saved,
// observed at next.ObservedAt) with evs and, once that is durable, saves
// next on prev's revision (its tombstone when it is final).
func (p *Poller) commit(ctx context.Context, pr *project, prev, next Record, evs []event.Event) outcome {
	final := terminal(next.Status)
	c := Change{Source: p.opts.Source, Project: pr.id, Time: next.ObservedAt,
		Previous: prev.Snapshot, Current: next.Snapshot, Removed: final, Events: evs}
	if err := p.handoff(ctx, c); err != nil {
		return outcomeFailed
	}
	save := next
	save.Revision = prev.Revision
	if final {
		save = tombstone(next.Status, next.ObservedAt, prev.Revision)
	}
	rev, err := p.opts.Store.Put(ctx, p.opts.Source, pr.id, save)
	if err != nil {
		return p.saveFailed(pr, err)
	}
	pr.committed(next, rev)
	p.setInfo(pr, infoOf(next.Snapshot), final)
	if final {
		// Debug: a fleet of thousands retiring its projects would log a
		// line each; the cycle says it once (logEnded).
		p.log.Debug("project reached a final status; no longer polled", "project", pr.id, "status", next.Status)
		return outcomeRemoved
	}
	return outcomeChanged
}

// quiet ends a poll that found nothing new. It hands off the poller's
// events, and with Options.Reevaluate the unchanged snapshot (snap, or
// the stored one when snap is nil), so that conditions over time are
// evaluated on this replica's own cycle, under the project's poll; then it
// saves what the poll learnt of the project's two-tier state, if anything.
func (p *Poller) quiet(ctx context.Context, pr *project, snap *oms.Snapshot, evs []event.Event, now time.Time) outcome {
	if p.opts.Reevaluate || len(evs) > 0 {
		if o := p.handOffQuiet(ctx, pr, snap, evs, now); o != outcomeUnchanged {
			return o
		}
	}
	p.saveState(ctx, pr)
	return outcomeUnchanged
}

// handOffQuiet hands off a quiet poll's change: its events, and with
// Options.Reevaluate the unchanged snapshot.
func (p *Poller) handOffQuiet(ctx context.Context, pr *project, snap *oms.Snapshot, evs []event.Event, now time.Time) outcome {
	c := Change{Source: p.opts.Source, Project: pr.id, Time: now, Events: evs, Quiet: true}
	if p.opts.Reevaluate {
		if snap == nil {
			rec, err := p.opts.Store.Get(ctx, p.opts.Source, pr.id)
			if err != nil {
				pr.loaded = false // read it afresh next time
				p.log.Error("cannot read the stored snapshot", "project", pr.id, "error", err)
				return outcomeFailed
			}
			snap = rec.Snapshot
		}
		c.Previous, c.Current = snap, snap
	}
	if err := p.handoff(ctx, c); err != nil {
		return outcomeFailed
	}
	pr.resetFailures()
	return outcomeUnchanged
}

// saveState writes the project's two-tier state when it says something
// the stored record does not (Store.PutMeta: the metadata beside the
// snapshot, which is not compressed again): a quiet poll that learnt
// nothing durable writes nothing. A failed write is logged and leaves the
// poll's outcome as it was; the state is written with the next one.
func (p *Poller) saveState(ctx context.Context, pr *project) {
	if !pr.durable.differs(pr.saved) {
		return
	}
	errText := ""
	if pr.lastErr != nil {
		errText = p.opts.Redactor.Redact(pr.lastErr.Error())
	}
	rev, err := p.opts.Store.PutMeta(ctx, p.opts.Source, pr.id, pr.state(errText))
	if err != nil {
		if errors.Is(err, ErrConflict) {
			pr.loaded = false // another writer moved the record: read it afresh
		}
		p.log.Warn("cannot save the project's polling state; a restart may describe it again", "project", pr.id, "error", err)
		return
	}
	pr.rev, pr.saved = rev, pr.durable
}

// saveFailed handles a failed save after a successful hand-off: the
// events are out, the snapshot is not stored, so the change is handed off
// again next time (with the same event ids).
func (p *Poller) saveFailed(pr *project, err error) outcome {
	pr.loaded = false // another writer may have moved the record: read it afresh
	if errors.Is(err, ErrConflict) {
		p.log.Warn("the stored snapshot was changed by another writer; not overwriting it", "project", pr.id, "error", err)
	} else {
		p.log.Error("cannot save the snapshot", "project", pr.id, "error", err)
	}
	return outcomeFailed
}

// gone confirms that a project DescribeProject says does not exist is not
// listed either (ListProjects searched by its id). Without a Lister there
// is no confirmation, and "not found" stays a failed poll.
func (p *Poller) gone(ctx context.Context, id string) bool {
	if p.opts.Lister == nil {
		return false
	}
	pg, err := p.opts.Lister.List(ctx, oms.ListQuery{SearchKey: id, PageSize: 10}, 1)
	if err != nil {
		p.log.Warn("cannot confirm that the project is gone", "project", id, "error", p.opts.Redactor.Redact(err.Error()))
		return false
	}
	for _, s := range pg.Projects {
		if s.ID() == id {
			return false
		}
	}
	return true
}

// remove hands off the removal of a project that is gone and leaves a
// tombstone, so it is neither polled nor discovered again.
func (p *Poller) remove(ctx context.Context, pr *project, now time.Time) outcome {
	prev := Record{Revision: pr.rev}
	if pr.digest != "" {
		var err error
		if prev, err = p.opts.Store.Get(ctx, p.opts.Source, pr.id); err != nil {
			pr.loaded = false
			return outcomeFailed
		}
	}
	evs := p.succeeded(pr, now)
	c := Change{Source: p.opts.Source, Project: pr.id, Time: now, Previous: prev.Snapshot, Removed: true, Events: evs}
	if err := p.handoff(ctx, c); err != nil {
		return outcomeFailed
	}
	rev, err := p.opts.Store.Put(ctx, p.opts.Source, pr.id, tombstone(pr.status, now, prev.Revision))
	if err != nil {
		return p.saveFailed(pr, err)
	}
	pr.tombstoned(rev)
	p.mu.Lock()
	pr.removed = true
	p.mu.Unlock()
	p.log.Info("project removed: OMS does not know it and ListProjects does not list it", "project", pr.id)
	return outcomeRemoved
}

// load reads the project's stored record once.
func (p *Poller) load(ctx context.Context, pr *project) error {
	if pr.loaded {
		return nil
	}
	rec, err := p.opts.Store.Get(ctx, p.opts.Source, pr.id)
	if errors.Is(err, ErrNotFound) {
		pr.loaded, pr.rev, pr.digest, pr.saved = true, 0, "", durable{}
		return nil
	}
	if err != nil {
		return err
	}
	pr.loadedFrom(rec)
	if rec.Snapshot != nil {
		p.setInfo(pr, infoOf(rec.Snapshot), false)
	}
	if rec.Removed {
		p.mu.Lock()
		pr.removed = true
		p.mu.Unlock()
	}
	return nil
}

// handoff gives a change to the Handler, logging a failure.
func (p *Poller) handoff(ctx context.Context, c Change) error {
	if err := p.opts.Handler.Handle(ctx, c); err != nil {
		p.log.Error("hand-off failed; the snapshot is kept as it was and the change will be seen again",
			"project", c.Project, "error", p.opts.Redactor.Redact(err.Error()))
		return err
	}
	return nil
}
