package poller

import (
	"context"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// Fetcher describes one project (DescribeProject). It returns the
// project's canonical snapshot, or an error that oms.IsProjectNotFound,
// oms.IsPermanent and friends classify; the poller treats every error as a
// failed poll that changes nothing. *omsapi.Client is the Fetcher of real
// OMS.
type Fetcher interface {
	Fetch(ctx context.Context, id string) (*oms.Snapshot, error)
}

// FetcherFunc adapts a function to Fetcher.
type FetcherFunc func(ctx context.Context, id string) (*oms.Snapshot, error)

// Fetch calls f.
func (f FetcherFunc) Fetch(ctx context.Context, id string) (*oms.Snapshot, error) { return f(ctx, id) }

// Lister reads one ListProjects page (pages count from 1).
// *omsapi.Client is the Lister of real OMS.
type Lister interface {
	List(ctx context.Context, q oms.ListQuery, page int) (*oms.ProjectPage, error)
}

// Leases says which projects this replica may poll now. With Options.Leases
// set, the poller polls (and confirms the removal of) only the projects
// whose lease it holds; every replica still discovers the whole fleet.
// *lease.Set is the implementation over JetStream; the poller needs only
// these two methods of it.
type Leases interface {
	// Owns reports whether this replica holds the lease over project now.
	Owns(project string) bool
	// Hold takes the lease over project for the length of one poll. ok is
	// false when the replica does not hold it (or is handing it over), and
	// then the project is not polled. Otherwise hctx is ctx, cancelled
	// should the lease be lost meanwhile, and done must be called when the
	// poll ends: a lease is handed over only once the polls under it are
	// done.
	Hold(ctx context.Context, project string) (hctx context.Context, done func(), ok bool)
}

// Change is what one poll of a project hands to the next stage: a new
// snapshot, a removal, or the poller's own events, or several of these.
type Change struct {
	// Source is where the project lives (oms://<region>, oms+onprem://<host>).
	Source string
	// Project is the project id.
	Project string
	// Time is when Current was observed (or the failure happened).
	Time time.Time
	// Previous is the stored snapshot; nil when there is none (the project
	// is new).
	Previous *oms.Snapshot
	// Current is the new snapshot; nil when the poll brought none (a
	// removal confirmed by "not found", or only poller events).
	Current *oms.Snapshot
	// Removed says the project is gone and will not be polled again: OMS
	// says it does not exist and discovery no longer lists it, or Current
	// shows it RELEASED or DELETED (the final snapshot).
	Removed bool
	// Events are the poller's own events (oms.poll.failing,
	// oms.poll.recovered), to be handed on with the others.
	Events []event.Event
	// Quiet says the poll found nothing new: Previous and Current are the
	// stored snapshot (with Options.Reevaluate) or nil, and the change
	// carries only what depends on time (and Events).
	Quiet bool
}

// HasSnapshot reports whether the change carries a new snapshot to diff.
func (c Change) HasSnapshot() bool { return c.Current != nil }

// Handler is the next stage: it turns a change into events (the differ)
// and hands them on (rules, sinks). A nil error means the change's events
// are durable (delivered, or in an outbox): only then does the poller save
// Current as the project's snapshot. An error leaves the stored snapshot as
// it was, so the same change is seen and handed off again on the next poll;
// event ids are deterministic, so the repeat is harmless.
type Handler interface {
	Handle(ctx context.Context, c Change) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c Change) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, c Change) error { return f(ctx, c) }
