package poller

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/omswatch/omswatch/internal/ctxsleep"
	"github.com/omswatch/omswatch/oms"
)

// pageFunc is called with each page's entries as they are read.
type pageFunc func(entries []listEntry) error

// listEntry is one project of a ListProjects page.
type listEntry struct {
	id   string
	snap *oms.Snapshot
}

// readPages pages ListProjects to the end (TotalCount, or a short page),
// handing each page to fn before the next is read, so that a 10,000-project
// fleet is never in memory at once. A page that fails is retried as r
// allows (see pageRetry). It returns how many pages it read.
func readPages(ctx context.Context, l Lister, q oms.ListQuery, r pageRetry, fn pageFunc) (int, error) {
	if q.PageSize < 1 || q.PageSize > oms.MaxPageSize {
		q.PageSize = oms.MaxPageSize
	}
	seen := 0
	for page := 1; ; page++ {
		pg, err := r.list(ctx, l, q, page)
		if err != nil {
			return page - 1, err
		}
		entries := make([]listEntry, 0, len(pg.Projects))
		for _, s := range pg.Projects {
			if s.ID() == "" || !q.Accepts(textField(s, "Type")) {
				continue
			}
			entries = append(entries, listEntry{id: s.ID(), snap: s})
		}
		seen += len(pg.Projects)
		if err := fn(entries); err != nil {
			return page, err
		}
		if len(pg.Projects) < q.PageSize || (pg.TotalCount > 0 && seen >= pg.TotalCount) || len(pg.Projects) == 0 {
			return page, nil
		}
		if page > 100_000 {
			return page, fmt.Errorf("list projects: more than %d pages; is the server ignoring PageNumber?", page)
		}
	}
}

// pageRetry is how a failed ListProjects page is retried within a cycle,
// on top of the client's own retries: a page that failed after those
// (throttling that outlasted them, an outage of a few seconds) is asked
// again after a pause, up to attempts times, rather than the cycle giving
// up on the fleet. Each pause doubles from backoff, half of it random.
type pageRetry struct {
	attempts int
	backoff  time.Duration
}

// list reads one page, retrying a failure that another try may mend.
func (r pageRetry) list(ctx context.Context, l Lister, q oms.ListQuery, page int) (*oms.ProjectPage, error) {
	wait := r.backoff
	for retry := 0; ; retry++ {
		pg, err := l.List(ctx, q, page)
		if err == nil || retry >= r.attempts || ctx.Err() != nil || oms.IsRefused(err) || oms.IsPermanent(err) {
			return pg, err
		}
		if err := ctxsleep.Sleep(ctx, wait/2+rand.N(wait/2+1)); err != nil {
			return nil, err
		}
		wait *= 2
	}
}
