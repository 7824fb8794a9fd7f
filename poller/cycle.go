package poller

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omswatch/omswatch/internal/ctxsleep"
	"github.com/omswatch/omswatch/oms"
)

// work is one project to poll in a cycle, with its list entry when the
// cycle read one.
type work struct {
	pr    *project
	entry *oms.Snapshot
	// unlisted says the cycle's fleet read failed before the project's
	// page: its last listed state stands, and it is described only if due.
	unlisted bool
	// catchUp says the cycle is behind its schedule: throughput first.
	catchUp bool
}

// cycle polls the projects of group g once. In two-tier mode it reads the
// fleet's ListProjects pages and polls each member from its entry (see
// poll); when the group is smaller than the pages the fleet takes, it
// describes the members instead, which costs fewer calls. t may be nil.
func (p *Poller) cycle(ctx context.Context, g int, jitter bool, t *tally) {
	p.cycleUntil(ctx, ctx, g, jitter, t)
}

// cycleUntil is cycle with two contexts: no poll starts once ctx ends,
// and the polls already started run on under workCtx, which Run lets outlive
// ctx by StopGrace so that they finish.
func (p *Poller) cycleUntil(ctx, workCtx context.Context, g int, jitter bool, t *tally) {
	defer p.cycles.Add(1)
	if !p.resume(ctx) {
		return // OMS refuses the account: paused until a probe is accepted
	}
	members := p.members(g)
	// Until a fleet read reached its end, the group's members are not
	// known yet (see discoversByReading): read it whatever their number.
	twoTier := p.opts.Mode == TwoTier && p.opts.Lister != nil &&
		(len(members) > p.pagesEstimate() || (p.discoversByReading() && !p.fleetListed()))
	if len(members) == 0 && !twoTier {
		return
	}
	start := time.Now()
	if t == nil {
		t = &tally{}
	}
	next := p.groups[g].schedule.Next(start)
	t.start, t.behind = start, next
	if p.lagging[g].Load() {
		t.behind = start // the last cycle ended behind: this one starts behind
	}
	defer func() { p.lagging[g].Store(time.Now().After(next)) }()
	defer func() {
		s := t.s
		p.log.Debug("cycle done", "group", p.groups[g].name, "projects", len(members), "changed", s.Changed,
			"failed", s.Failed, "removed", s.Removed, "duration", time.Since(start).Round(time.Millisecond))
		p.logEnded(t)
	}()
	if twoTier {
		p.twoTier(ctx, workCtx, g, members, start, jitter, t)
		return
	}
	ws := make([]work, len(members))
	for i, pr := range members {
		ws[i] = work{pr: pr}
	}
	p.run(ctx, workCtx, ws, start, jitter, t)
}

// run polls ws with at most Workers at a time, each after its jitter
// offset from start when jitter is on, and waits for all of them. Polls
// start until ctx ends and run under workCtx (see cycleUntil).
func (p *Poller) run(ctx, workCtx context.Context, ws []work, start time.Time, jitter bool, t *tally) {
	if len(ws) == 0 {
		return
	}
	window := time.Duration(0)
	if jitter {
		window = p.opts.Schedule.Jitter
		slices.SortFunc(ws, func(a, b work) int {
			return int(jitterOffset(a.pr.id, window) - jitterOffset(b.pr.id, window))
		})
	}
	sem := make(chan struct{}, p.opts.Workers)
	var wg sync.WaitGroup
	for _, w := range ws {
		if err := ctxsleep.Sleep(ctx, time.Until(start.Add(jitterOffset(w.pr.id, window)))); err != nil && ctx.Err() != nil {
			break
		}
		if p.isPaused() {
			break // OMS refuses the account: the other polls would be refused too
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			hctx, done, ok := p.hold(workCtx, w.pr.id)
			if !ok {
				return // the lease moved to another replica since the cycle began
			}
			defer done()
			defer p.recoverPoll(w.pr, t)
			start := time.Now()
			w.catchUp = !t.behind.IsZero() && start.After(t.behind)
			o := p.poll(hctx, w)
			t.add(w.pr, o)
			p.observe(w.pr, o, time.Since(start))
		})
	}
	wg.Wait()
}

// recoverPoll turns a panic in one project's poll into a logged failure:
// cron's Recover guards the job's own goroutine only, and one project's
// bug must not stop the others.
func (p *Poller) recoverPoll(pr *project, t *tally) {
	r := recover()
	if r == nil {
		return
	}
	p.log.Error("panic while polling a project; recovered", "project", pr.id, "panic", fmt.Sprint(r),
		"stack", string(debug.Stack()))
	t.add(pr, outcomeFailed)
	p.observe(pr, outcomeFailed, 0)
}

// discover lists the projects ListProjects returns for the discovery
// filters, to the last page: new ones join the watch, and known ones no
// longer listed are confirmed with DescribeProject: "not found" removes
// them; a project that exists but left the filters gets its final change
// handed off and is no longer watched (its snapshot stays stored). An
// incomplete listing removes nothing.
func (p *Poller) discover(ctx context.Context, t *tally) error {
	if p.opts.List == nil {
		return nil
	}
	q := *p.opts.List
	q.Related = false
	listed := map[string]bool{}
	_, err := readPages(ctx, p.opts.Lister, q, p.pageRetry(), func(entries []listEntry) error {
		for _, e := range entries {
			listed[e.id] = true
			pr := p.add(e.id, infoOf(e.snap))
			p.mu.Lock()
			pr.listed, pr.listedSeq = true, p.fleetSeq
			p.mu.Unlock()
		}
		return nil
	})
	if err != nil {
		if oms.IsRefused(err) {
			p.refused(ctx, err, probe{})
		}
		return err
	}
	for _, pr := range p.vanished(listed) {
		if o := p.confirmVanished(ctx, pr); t != nil {
			t.add(pr, o)
		}
	}
	return nil
}

// vanished are discovered projects the listing no longer has.
func (p *Poller) vanished(listed map[string]bool) []*project {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*project
	for id, pr := range p.projects {
		if pr.listed && !pr.static && !pr.removed && !listed[id] {
			out = append(out, pr)
		}
	}
	return out
}

// confirmVanished describes a project discovery no longer lists.
func (p *Poller) confirmVanished(ctx context.Context, pr *project) outcome {
	ctx, done, ok := p.hold(ctx, pr.id)
	if !ok {
		return outcomeSkipped // another replica's project: it confirms
	}
	defer done()
	if !pr.busy.TryLock() {
		return outcomeSkipped // being polled; the next discovery looks again
	}
	defer pr.busy.Unlock()
	if err := p.load(ctx, pr); err != nil {
		return outcomeFailed
	}
	now := p.opts.Now()
	p.describes.Add(1)
	snap, err := p.opts.Fetcher.Fetch(ctx, pr.id)
	switch {
	case err != nil && oms.IsProjectNotFound(err):
		return p.remove(ctx, pr, now)
	case err != nil:
		p.log.Warn("cannot confirm a project discovery no longer lists", "project", pr.id, "error", p.opts.Redactor.Redact(err.Error()))
		return outcomeSkipped
	}
	o := p.observed(ctx, pr, snap, pr.listDigest, pr.listFull, now)
	if o != outcomeFailed {
		p.mu.Lock()
		delete(p.projects, pr.id)
		p.mu.Unlock()
		p.log.Info("project left the discovery filters; no longer watched", "project", pr.id)
	}
	return o
}

// logEnded says in one line which projects of the cycle reached a final
// status and are no longer polled: the first few by id, and how many.
func (p *Poller) logEnded(t *tally) {
	t.mu.Lock()
	ended := slices.Sorted(slices.Values(t.ended))
	t.ended = nil
	t.mu.Unlock()
	if len(ended) == 0 {
		return
	}
	const shown = 5
	list := strings.Join(ended[:min(len(ended), shown)], ", ")
	if len(ended) > shown {
		list += fmt.Sprintf(" and %d more", len(ended)-shown)
	}
	p.log.Info("projects reached a final status; no longer polled", "count", len(ended), "projects", list)
}
