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
// handing each page to fn in order. The next page is read while fn works
// on one (at most two pages in memory, so that a 100,000-project fleet is
// never in memory at once): reading a page waits on OMS and the account's
// rate, handing one off is CPU, and one after the other left the cores
// idle for every read. A page that fails is retried as r allows (see
// pageRetry). It returns how many pages it handed to fn.
func readPages(ctx context.Context, l Lister, q oms.ListQuery, r pageRetry, fn pageFunc) (int, error) {
	if q.PageSize < 1 || q.PageSize > oms.MaxPageSize {
		q.PageSize = oms.MaxPageSize
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	pages := make(chan readPage) // unbuffered: the reader holds one page while fn works on the last
	go func() {
		defer close(pages)
		seen := 0
		for page := 1; ; page++ {
			pg, err := r.list(ctx, l, q, page)
			if err == nil && page > 100_000 {
				err = fmt.Errorf("list projects: more than %d pages; is the server ignoring PageNumber?", page-1)
			}
			var last bool
			if err == nil {
				seen += len(pg.Projects)
				last = len(pg.Projects) < q.PageSize || (pg.TotalCount > 0 && seen >= pg.TotalCount) || len(pg.Projects) == 0
			}
			select {
			case pages <- readPage{entries: entriesOf(pg, q), err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil || last {
				return
			}
		}
	}()
	n := 0
	for rp := range pages {
		if rp.err != nil {
			return n, rp.err
		}
		n++
		if err := fn(rp.entries); err != nil {
			return n, err
		}
	}
	return n, ctx.Err()
}

// readPage is a page read ahead, or why it could not be.
type readPage struct {
	entries []listEntry
	err     error
}

// entriesOf keeps the entries of a page that name a project of a type q
// accepts.
func entriesOf(pg *oms.ProjectPage, q oms.ListQuery) []listEntry {
	if pg == nil {
		return nil
	}
	entries := make([]listEntry, 0, len(pg.Projects))
	for _, s := range pg.Projects {
		if s.ID() == "" || !q.Accepts(textField(s, "Type")) {
			continue
		}
		entries = append(entries, listEntry{id: s.ID(), snap: s})
	}
	return entries
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
