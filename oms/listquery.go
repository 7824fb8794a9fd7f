package oms

import "slices"

// MaxPageSize is ListProjects' largest page.
const MaxPageSize = 150

// ListQuery is a ListProjects request without its page number: what the
// poller asks for and a client puts on the wire. Empty filters do not
// filter.
type ListQuery struct {
	Types               []string // MIGRATION, SYNC (on-premise also VERIFY); the API takes one
	Statuses            []string
	LabelIDs            []string
	SearchKey           string
	SourceEndpointTypes []string
	SinkEndpointTypes   []string
	// PageSize is 1..MaxPageSize.
	PageSize int
	// Related asks for NeedRelatedInfo=true: each entry carries the
	// project's steps, ExtraInfo and AlarmStats (two-tier polling reads
	// state from it); false lists only the projects' own fields.
	Related bool
}

// Accepts reports whether a listed project of type typ passes the filters
// ListProjects cannot apply itself: it takes one Type, so a query for
// several sends none and checks the entries here.
func (q ListQuery) Accepts(typ string) bool {
	return len(q.Types) <= 1 || slices.Contains(q.Types, typ)
}
