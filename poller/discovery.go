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
// handing each page to fn in order. The next page is asked for while fn
// works through the one before: a fleet read no longer waits on OMS (and
// the account's rate) between pages, which at 100,000 projects left one
// of two cores idle for the length of every request. At most two pages
// are in memory at once. A page that fails is retried as r allows (see
// pageRetry). It returns how many pages fn was given.
func readPages(ctx context.Context, l Lister, q oms.ListQuery, r pageRetry, fn pageFunc) (int, error) {
	if q.PageSize < 1 || q.PageSize > oms.MaxPageSize {
		q.PageSize = oms.MaxPageSize
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fetch := func(page int) <-chan pageRead {
		ch := make(chan pageRead, 1)
		go func() {
			pg, err := r.list(ctx, l, q, page)
			ch <- pageRead{pg, err}
		}()
		return ch
	}
	seen := 0
	next := fetch(1)
	for page := 1; ; page++ {
		read := <-next
		if read.err != nil {
			return page - 1, read.err
		}
		pg := read.page
		seen += len(pg.Projects)
		last := len(pg.Projects) < q.PageSize || (pg.TotalCount > 0 && seen >= pg.TotalCount) || len(pg.Projects) == 0
		if !last && page < maxPages {
			next = fetch(page + 1)
		}
		entries := make([]listEntry, 0, len(pg.Projects))
		for _, s := range pg.Projects {
			if s.ID() == "" || !q.Accepts(textField(s, "Type")) {
				continue
			}
			entries = append(entries, listEntry{id: s.ID(), snap: s})
		}
		if err := fn(entries); err != nil {
			return page, err // the deferred cancel stops the page asked for ahead
		}
		if last {
			return page, nil
		}
		if page >= maxPages {
			return page, fmt.Errorf("list projects: more than %d pages; is the server ignoring PageNumber?", maxPages)
		}
	}
}

// maxPages bounds a fleet read: a server that ignores PageNumber would
// page forever.
const maxPages = 100_000

// pageRead is the answer to one page.
type pageRead struct {
	page *oms.ProjectPage
	err  error
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
