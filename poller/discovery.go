package poller

import (
	"context"
	"fmt"

	"github.com/omswatch/omswatch/oms"
)

// MaxPageSize is ListProjects' largest page.
const MaxPageSize = 150

// ListQuery is a ListProjects request without its page number. Empty
// filters do not filter.
type ListQuery struct {
	Types               []string // MIGRATION, SYNC (on-premise also VERIFY); the API takes one
	Statuses            []string
	LabelIDs            []string
	SearchKey           string
	SourceEndpointTypes []string
	SinkEndpointTypes   []string
	// PageSize is 1..150.
	PageSize int
	// Related asks for NeedRelatedInfo=true: each entry carries the
	// project's steps, ExtraInfo and AlarmStats (two-tier polling reads
	// state from it); false lists only the projects' own fields.
	Related bool
}

// params are the request parameters for page (from 1). Projects are
// listed oldest first (gmtCreate ascending), so a project created while the
// pages are read lands on the last page instead of shifting the others.
func (q ListQuery) params(page int) map[string]any {
	p := map[string]any{
		"PageNumber": page, "PageSize": q.PageSize, "NeedRelatedInfo": q.Related,
		"SortField": "gmtCreate", "Order": "asc",
	}
	set := func(k string, v []string) {
		if len(v) > 0 {
			p[k] = v
		}
	}
	set("Status", q.Statuses)
	set("LabelIds", q.LabelIDs)
	set("SourceEndpointTypes", q.SourceEndpointTypes)
	set("SinkEndpointTypes", q.SinkEndpointTypes)
	if len(q.Types) == 1 {
		p["Type"] = q.Types[0]
	}
	if q.SearchKey != "" {
		p["SearchKey"] = q.SearchKey
	}
	return p
}

// accepts reports whether an entry passes the filters ListProjects cannot
// apply itself: it takes one Type, so a list of several is checked here.
func (q ListQuery) accepts(typ string) bool {
	if len(q.Types) <= 1 {
		return true
	}
	for _, t := range q.Types {
		if t == typ {
			return true
		}
	}
	return false
}

// pageFunc is called with each page's entries as they are read.
type pageFunc func(entries []listEntry) error

// listEntry is one project of a ListProjects page.
type listEntry struct {
	id   string
	snap *oms.Snapshot
}

// readPages pages ListProjects to the end (TotalCount, or a short page),
// handing each page to fn before the next is read, so that a 10,000-project
// fleet is never in memory at once. It returns how many pages it read.
func readPages(ctx context.Context, l Lister, q ListQuery, fn pageFunc) (int, error) {
	if q.PageSize < 1 || q.PageSize > MaxPageSize {
		q.PageSize = MaxPageSize
	}
	seen := 0
	for page := 1; ; page++ {
		pg, err := l.List(ctx, q, page)
		if err != nil {
			return page - 1, err
		}
		entries := make([]listEntry, 0, len(pg.Projects))
		for _, s := range pg.Projects {
			if s.ID() == "" || !q.accepts(textField(s, "Type")) {
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
