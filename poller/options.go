package poller

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/secret"
)

// Mode says how often a project is described in full.
type Mode string

const (
	// TwoTier reads the fleet through ListProjects pages (NeedRelatedInfo,
	// up to 150 projects a call) each cycle and describes only projects
	// whose listed state changed, that were never described, or whose last
	// describe is older than DescribeRefresh. The API's rate limit is the
	// real bound on fleet size; this spends it on changes.
	TwoTier Mode = "two_tier"
	// DescribeAlways describes every project every cycle.
	DescribeAlways Mode = "describe_always"
)

// DefaultDescribeRefresh is how often two-tier re-describes a project
// whose listed state did not change. The re-describe only catches what the
// list does not carry (the transfer mapping, some settings), so it may be
// slow; 90 minutes keeps a quiet fleet of 1,000 projects with a cycle
// every 30 s at 7 pages and 5.6 describes a cycle, under 15 calls.
const DefaultDescribeRefresh = 90 * time.Minute

// Options configure a Poller. Fetcher, Store, Handler and Source are
// required.
type Options struct {
	// Source is where the projects live: oms://<region> or
	// oms+onprem://<host>. It keys the store and every event.
	Source string
	// Fetcher describes projects (an *omsapi.Client).
	Fetcher Fetcher
	// Lister reads ListProjects pages (an *omsapi.Client): discovery, two-tier
	// reads and the confirmation that a project is gone. Nil turns them off.
	Lister Lister
	// Store keeps snapshots across restarts.
	Store Store
	// Handler takes every change; see Handler for the durability contract.
	Handler Handler
	// Logger receives the poller's log lines (default: discard).
	Logger *slog.Logger
	// Redactor masks secrets in logged and reported errors (may be nil).
	Redactor *secret.Redactor

	// Projects are project ids always watched.
	Projects []string
	// List, when not nil, discovers projects with ListProjects and these
	// filters (Related is ignored), paged to the end on DiscoveryRefresh.
	List *oms.ListQuery
	// DiscoveryRefresh is the cron spec of re-listing (default @every 5m).
	DiscoveryRefresh string

	// Mode is TwoTier (default) or DescribeAlways.
	Mode Mode
	// DescribeRefresh is how old a describe may get in TwoTier mode before
	// the project is described anyway (default 1h), which catches changes
	// ListProjects does not show (TransferMapping).
	DescribeRefresh time.Duration
	// DescribeAlways lists projects described every cycle in TwoTier mode.
	DescribeAlways []string
	// DescribeRate bounds, in TwoTier mode, the describes per second spent
	// on projects whose list entry already says what they are: a changed
	// listed state, a first sighting, a periodic re-describe (see
	// budget.go). Beyond it a changed or new project's state is taken from
	// its entry and the describe waits. 0: no bound, every one of them is
	// described. Projects without an entry (describe-always, not listed,
	// the fleet read failed) are described regardless.
	DescribeRate float64
	// FleetRetries is how many times a ListProjects page that failed (after
	// the Lister's own retries) is asked again within a cycle (default 3, a
	// negative value: never);
	// FleetBackoff is the pause before the first of them (default 1s),
	// doubling each time. A fleet read that still fails keeps the last
	// listed state: the cycle describes only the projects due anyway.
	FleetRetries int
	FleetBackoff time.Duration

	// Schedule says when each project is polled.
	Schedule Schedule
	// FailureThreshold is how many failed polls in a row make
	// oms.poll.failing (default 3).
	FailureThreshold int
	// PauseProbe is how often polling paused because OMS refuses the
	// account's requests (oms.IsRefused) sends the refused request again,
	// to resume as soon as it is accepted (default 5m).
	PauseProbe time.Duration
	// Workers bounds projects polled at the same time (default 16); the
	// client's own in-flight bound applies below it.
	Workers int
	// Handoffs bounds the polls that turn what OMS answered into a change
	// at the same time: decoding, the stored snapshot, the hand-off, the
	// save, which is CPU and round trips to NATS rather than waiting on
	// OMS (default twice GOMAXPROCS). Most polls of two-tier are taken from
	// a page of the list, 150 at once: more of them at the same time only
	// share the cores, and each takes longer. A cycle that runs past the
	// start of the next (it is behind, and the next would be skipped)
	// hands off Workers at a time instead: with more requests to the
	// embedded NATS in flight, each costs less CPU (at 100,000 projects,
	// 14% more polls in the same CPU), and throughput is what it lacks.
	Handoffs int

	// Reevaluate hands off every successful poll that found nothing new as
	// a quiet Change (Previous and Current both the stored snapshot), so
	// that the next stage re-evaluates what depends on time alone (a
	// condition held for a duration, a stalled checkpoint, a worker about
	// to expire) for the projects this poller owns, under the project's
	// poll and lease. Off, a quiet poll hands off nothing. A project not
	// polled (its page of a fleet read that failed, an account OMS
	// refuses) hands off nothing either: its state now is not known.
	Reevaluate bool

	// Now is the clock polls are stamped with (default time.Now): the time
	// of their changes and events, and of conditions held over time.
	Now func() time.Time

	// Observer, when not nil, is told how every poll ends (metrics).
	Observer Observer
	// PollAtStart makes Run poll every group once as soon as it starts
	// (with the jitter), rather than first at each schedule's next time:
	// a service restarted in the middle of a 30s period is up to date at
	// once, and its first cycle (readiness) does not wait for the period.
	PollAtStart bool
	// StopGrace is how long Run lets the polls in flight finish once its
	// context ends (default 0: they are cancelled at once). A poll
	// cancelled half-way is harmless (its change is seen again, with the
	// same event ids), but one that finishes leaves nothing to redo.
	StopGrace time.Duration

	// Leases, when not nil, shares the projects with other replicas: this
	// poller polls, and confirms the removal of, only the projects whose
	// lease it holds (a *lease.Set, whose Run must be running). Nil polls
	// every project: one replica, or `omswatch once`.
	Leases Leases
}

// Schedule is when projects are polled: cron specs with an optional
// seconds field, or descriptors (@every 30s), in Location (UTC unless the
// user names a zone, so DST never skips or repeats a poll).
type Schedule struct {
	// Default is the spec of projects no group takes (default @every 30s).
	Default string
	// Location is the zone of the specs (default UTC).
	Location *time.Location
	// Jitter spreads the projects of a cycle over this long, each at its
	// own fixed offset, so thousands of projects do not fire in one second.
	Jitter time.Duration
	// Groups give matching projects their own spec; the first match wins.
	Groups []Group
}

// Group is a schedule for the projects that Match.
type Group struct {
	Name  string
	Match GroupMatch
	Spec  string
}

// GroupMatch selects projects: every criterion given must match; within a
// list any item. Patterns are globs (path.Match) or regular expressions
// after "~".
type GroupMatch struct {
	Importance []string // HIGH, MEDIUM, LOW, IGNORE
	Labels     []string // label names
	Projects   []string // project ids
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = discardLogger()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DiscoveryRefresh == "" {
		o.DiscoveryRefresh = "@every 5m"
	}
	if o.Mode == "" {
		o.Mode = TwoTier
	}
	if o.DescribeRefresh <= 0 {
		o.DescribeRefresh = DefaultDescribeRefresh
	}
	if o.Schedule.Default == "" {
		o.Schedule.Default = "@every 30s"
	}
	if o.Schedule.Location == nil {
		o.Schedule.Location = time.UTC
	}
	if o.FleetRetries == 0 {
		o.FleetRetries = 3
	}
	if o.FleetBackoff <= 0 {
		o.FleetBackoff = time.Second
	}
	if o.PauseProbe <= 0 {
		o.PauseProbe = 5 * time.Minute
	}
	if o.FailureThreshold < 1 {
		o.FailureThreshold = 3
	}
	if o.Workers < 1 {
		o.Workers = 16
	}
	if o.Handoffs < 1 {
		o.Handoffs = 2 * runtime.GOMAXPROCS(0)
	}
}

func (o *Options) validate() error {
	var errs []error
	if o.Source == "" {
		errs = append(errs, errors.New("a Source is required"))
	}
	if o.Fetcher == nil {
		errs = append(errs, errors.New("a Fetcher is required"))
	}
	if o.Store == nil {
		errs = append(errs, errors.New("a Store is required"))
	}
	if o.Handler == nil {
		errs = append(errs, errors.New("a Handler is required"))
	}
	if o.Mode != TwoTier && o.Mode != DescribeAlways {
		errs = append(errs, fmt.Errorf("mode %q: want %s or %s", o.Mode, TwoTier, DescribeAlways))
	}
	if o.List != nil && o.Lister == nil {
		errs = append(errs, errors.New("ListProjects discovery needs a Lister"))
	}
	if len(o.Projects) == 0 && o.List == nil {
		errs = append(errs, errors.New("nothing to watch: give Projects or List"))
	}
	if o.DescribeRate < 0 {
		errs = append(errs, fmt.Errorf("describe rate %g: must not be negative", o.DescribeRate))
	}
	if o.Schedule.Jitter < 0 {
		errs = append(errs, fmt.Errorf("jitter %s: must not be negative", o.Schedule.Jitter))
	}
	return errors.Join(errs...)
}

// discardLogger is the logger of a poller given none.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
