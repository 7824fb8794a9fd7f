package poller

import (
	"context"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// pagesEstimate is how many ListProjects calls a fleet read takes, as the
// last one did (1 before any).
func (p *Poller) pagesEstimate() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(p.pageCount, 1)
}

// fleetQuery is the two-tier read: the discovery filters (none for a
// static list), full pages, with related info.
func (p *Poller) fleetQuery() oms.ListQuery {
	q := oms.ListQuery{}
	if p.opts.List != nil {
		q = *p.opts.List
	}
	q.PageSize, q.Related = oms.MaxPageSize, true
	return q
}

// twoTier reads the fleet page by page and polls the group's members from
// their entries as each page arrives. A read that reaches the last page
// lists the whole fleet, as discovery would: new projects join (see
// discovered), discovered ones it no longer lists are confirmed gone or
// out of the filters (see vanishedSince), and static members no page
// listed (outside the filters) are described. A read that fails keeps the
// last listed state (see fleetUnread).
func (p *Poller) twoTier(ctx, workCtx context.Context, g int, members []*project, start time.Time, jitter bool, t *tally) {
	byID := make(map[string]*project, len(members))
	for _, pr := range members {
		byID[pr.id] = pr
	}
	seen := make(map[string]bool, len(members))
	seq := p.startFleetRead()
	pages, err := readPages(ctx, p.opts.Lister, p.fleetQuery(), p.pageRetry(), func(entries []listEntry) error {
		var ws []work
		for _, e := range entries {
			pr := byID[e.id]
			if pr == nil && p.opts.List != nil {
				pr = p.discovered(e.id, infoOf(e.snap), g) // new since the last discovery
			}
			p.markListed(e.id)
			if pr != nil && !seen[pr.id] {
				seen[pr.id] = true // pr.id, not e.id: e.id would pin the page (see infoOf)
				ws = append(ws, work{pr: pr, entry: e.snap})
			}
		}
		p.run(ctx, workCtx, ws, start, jitter, t)
		return ctx.Err()
	})
	if ctx.Err() != nil {
		return
	}
	if err != nil && oms.IsRefused(err) {
		p.refused(ctx, err, probe{})
		return // paused: the cycle ends here
	}
	var vanished []*project
	if err == nil {
		p.fleetRead(pages)
		vanished = p.vanishedSince(seq)
		for _, pr := range vanished {
			seen[pr.id] = true // confirmed below, not described as a member
		}
	}
	var rest []work
	for _, pr := range members {
		if !seen[pr.id] {
			rest = append(rest, work{pr: pr, unlisted: err != nil})
		}
	}
	if err != nil {
		p.fleetUnread(err, pages, len(rest), t)
	}
	p.run(ctx, workCtx, rest, start, jitter, t)
	for _, pr := range vanished {
		t.add(pr, p.confirmVanished(ctx, pr))
	}
}

// startFleetRead numbers a fleet read that starts now (see markListed).
func (p *Poller) startFleetRead() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fleetSeq++
	return p.fleetSeq
}

// markListed notes that a listing (a fleet read or discovery) saw project
// id: it is marked with the number of the last fleet read started, so
// that a read that ends finds unmarked since its start only the projects
// that no listing saw meanwhile, whatever ran beside it.
func (p *Poller) markListed(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr := p.projects[id]; pr != nil {
		pr.listedSeq = p.fleetSeq
	}
}

// fleetRead notes a fleet read that reached its last page in pages:
// the next one is estimated at as many, and the discovery re-list that
// comes next has nothing to add (see relist).
func (p *Poller) fleetRead(pages int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pageCount = pages
	p.fleetWhole = true
}

// vanishedSince are the discovered projects that no listing saw since
// fleet read seq started, which read the whole fleet: gone, or out of the
// filters. Without discovery there are none: static projects stay.
func (p *Poller) vanishedSince(seq uint64) []*project {
	if p.opts.List == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*project
	for _, pr := range p.projects {
		if pr.listed && !pr.static && !pr.removed && pr.listedSeq < seq {
			out = append(out, pr)
		}
	}
	return out
}

// fleetUnread reports a fleet read that failed after its retries, once
// for the cycle: a log line, the Observer, the round's summary. Asking
// OMS for every project the pages would have listed is the load it asks
// to be spared (a throttled read fanned out into hundreds of describes);
// the cycle keeps the last listed state instead.
func (p *Poller) fleetUnread(err error, pages, rest int, t *tally) {
	code := oms.ErrorCode(err)
	p.log.Warn("fleet read failed; keeping the last listed state: the projects not listed yet are described only when due",
		"pages_read", pages, "not_listed", rest, "error_code", code, "error", p.opts.Redactor.Redact(err.Error()))
	if p.opts.Observer != nil {
		p.opts.Observer.FleetUnread(code)
	}
	t.unread(err)
}

// pageRetry is how a cycle retries a failed ListProjects page.
func (p *Poller) pageRetry() pageRetry {
	return pageRetry{attempts: max(p.opts.FleetRetries, 0), backoff: p.opts.FleetBackoff}
}

// discovered registers a project first seen in a fleet read and returns it
// when it belongs to group g (else it waits for its own group's cycle).
func (p *Poller) discovered(id string, info event.Project, g int) *project {
	pr := p.add(id, info)
	p.mu.Lock()
	defer p.mu.Unlock()
	pr.listed = true
	if pr.group != g || pr.removed || !p.owns(id) {
		return nil
	}
	return pr
}
