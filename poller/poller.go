package poller

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// Poller polls the configured and discovered projects on their schedules
// and hands each change to the Handler. See Options.
type Poller struct {
	opts       Options
	groups     []group
	rediscover cron.Schedule
	always     map[string]bool
	log        *slog.Logger

	handoffs  chan struct{} // a slot per poll turning an answer into a change (Options.Handoffs)
	catchUp   chan struct{} // the same, Workers of them, for a cycle behind its schedule
	lagging   []atomic.Bool // by group: its last cycle ended behind its schedule
	budget    *budget       // the describes two-tier may spend on listed projects (nil: no bound)
	describes atomic.Int64  // DescribeProject calls made (for two-tier figures)
	fromList  atomic.Int64  // changes and first sightings taken from a list entry for want of budget
	cycles    atomic.Int64  // cycles ended
	oneShot   atomic.Bool   // RunOnce: a pause is reported in its Summary, not told as an event

	mu         sync.Mutex
	projects   map[string]*project
	pageCount  int    // pages the last fleet read took (0: none yet)
	fleetSeq   uint64 // fleet reads started (see markListed)
	fleetWhole bool   // a fleet read reached its last page since the last discovery job (see relist)
	pause      *pause // OMS refuses the account: polling is paused (nil: polling)
}

// New builds a Poller.
func New(o Options) (*Poller, error) {
	o.setDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("poller: %w", err)
	}
	groups, err := compileGroups(o.Schedule)
	if err != nil {
		return nil, fmt.Errorf("poller: %w", err)
	}
	refresh, err := ParseSpec(o.DiscoveryRefresh)
	if err != nil {
		return nil, fmt.Errorf("poller: discovery refresh: %w", err)
	}
	p := &Poller{opts: o, groups: groups, rediscover: refresh, always: map[string]bool{},
		log: o.Logger.With("component", "poller", "source", o.Source), projects: map[string]*project{},
		handoffs: make(chan struct{}, o.Handoffs), catchUp: make(chan struct{}, o.Workers),
		lagging: make([]atomic.Bool, len(groups))}
	if o.Mode == TwoTier && o.DescribeRate > 0 {
		p.budget = newBudget(o.DescribeRate)
	}
	for _, id := range o.DescribeAlways {
		p.always[id] = true
	}
	for _, id := range o.Projects {
		pr := p.add(id, event.Project{ID: id})
		pr.static = true
	}
	return p, nil
}

// add registers a project (or returns the known one).
func (p *Poller) add(id string, info event.Project) *project {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr, ok := p.projects[id]; ok {
		return pr
	}
	pr := &project{id: strings.Clone(id), info: info, group: groupOf(p.groups, info), listedSeq: p.fleetSeq} // see infoOf
	p.projects[pr.id] = pr
	return pr
}

// setInfo records a project's latest fields and moves it to its group.
func (p *Poller) setInfo(pr *project, info event.Project, removed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr.info = info
	pr.group = groupOf(p.groups, info)
	pr.removed = pr.removed || removed
}

func (p *Poller) isRemoved(pr *project) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return pr.removed
}

// owns reports whether this replica polls project id (always, without
// leases).
func (p *Poller) owns(id string) bool {
	return p.opts.Leases == nil || p.opts.Leases.Owns(id)
}

// hold takes project id's lease for one poll (see Leases.Hold); without
// leases it is ctx itself.
func (p *Poller) hold(ctx context.Context, id string) (context.Context, func(), bool) {
	if p.opts.Leases == nil {
		return ctx, func() {}, true
	}
	return p.opts.Leases.Hold(ctx, id)
}

// members are the live projects of group g this replica polls, by id.
func (p *Poller) members(g int) []*project {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*project
	for _, pr := range p.projects {
		if pr.group == g && !pr.removed && p.owns(pr.id) {
			out = append(out, pr)
		}
	}
	slices.SortFunc(out, func(a, b *project) int {
		if a.id < b.id {
			return -1
		}
		return 1
	})
	return out
}

// Ready returns an error while OMS refuses the poller's requests for a
// reason only the operator can fix: polling paused because OMS refuses the
// account (why, since when, the next probe), or the Fetcher's Ready, when
// it has one.
func (p *Poller) Ready() error {
	if err := p.pauseErr(); err != nil {
		return err
	}
	if r, ok := p.opts.Fetcher.(interface{ Ready() error }); ok {
		return r.Ready()
	}
	return nil
}

// Describes is how many DescribeProject calls the poller has made.
func (p *Poller) Describes() int64 { return p.describes.Load() }

// FromList is how many changes and first sightings the poller took from a
// ListProjects entry because the describe budget was spent.
func (p *Poller) FromList() int64 { return p.fromList.Load() }

// Summary tells how one round of polls went.
type Summary struct {
	// Polled counts projects polled; Changed, Unchanged, Failed and Removed
	// split them by outcome.
	Polled, Changed, Unchanged, Failed, Removed int
	// Failures holds each failed project's error.
	Failures map[string]error
	// Unlisted counts projects not polled because the fleet read failed
	// (FleetErr) and nothing made a describe due: their last listed state
	// stands.
	Unlisted int
	// FleetErr is the error of a fleet read that failed after its retries,
	// nil when every one succeeded.
	FleetErr error
	// Paused is OMS's refusal of the account's requests that paused
	// polling, nil when it is not paused: the projects not polled then are
	// in no count.
	Paused error
}

// FailureList names the failed projects and why (the OMS error code), the
// first n by id and how many more.
func (s Summary) FailureList(n int) string {
	ids := slices.Sorted(maps.Keys(s.Failures))
	var parts []string
	for i, id := range ids {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(ids)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", id, oms.ErrorCode(s.Failures[id])))
	}
	return strings.Join(parts, ", ")
}

// tally collects the outcomes of a round.
type tally struct {
	mu sync.Mutex
	s  Summary
	// ended are the projects that reached a final status, for the
	// cycle's one log line about them.
	ended []string
	// start is when the cycle began.
	start time.Time
	// behind is when the cycle falls behind its schedule (the next
	// cycle is due, and would be skipped): from then on its polls hand
	// off with Workers at a time (see Options.Handoffs). Zero: never.
	behind time.Time
}

func (t *tally) add(pr *project, o outcome) {
	if o == outcomeSkipped {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if o == outcomeUnlisted {
		t.s.Unlisted++
		return
	}
	t.s.Polled++
	switch o {
	case outcomeChanged:
		t.s.Changed++
	case outcomeUnchanged:
		t.s.Unchanged++
	case outcomeRemoved:
		t.s.Removed++
		t.ended = append(t.ended, pr.id)
	case outcomeFailed:
		t.s.Failed++
		if t.s.Failures == nil {
			t.s.Failures = map[string]error{}
		}
		err := pr.pollErr
		if err == nil {
			err = fmt.Errorf("project %s: the change could not be handed off or saved", pr.id)
		}
		t.s.Failures[pr.id] = err
	}
}

// unread notes a fleet read that failed.
func (t *tally) unread(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s.FleetErr = err
}

// RunOnce polls every configured and discovered project once, now,
// without jitter, and returns how it went. It is `omswatch once`. When OMS
// refuses the account, the round stops and Summary.Paused says so; no
// account-level event is handed off, as a one-shot run has no pause to
// tell of (no probe, no resumption): its exit status and message do.
func (p *Poller) RunOnce(ctx context.Context) (Summary, error) {
	p.oneShot.Store(true)
	t := &tally{}
	if !p.discoversByReading() {
		if err := p.discover(ctx, t); err != nil && len(p.opts.Projects) == 0 {
			return Summary{}, err
		}
	}
	for g := range p.groups {
		p.cycle(ctx, g, false, t)
	}
	t.s.Paused = p.refusal()
	return t.s, ctx.Err()
}

// Run polls on the schedules until ctx ends, then starts no new poll,
// lets the polls in flight finish for up to Options.StopGrace (their
// requests, hand-offs and saves; after that they are cancelled) and
// returns. A job still running when its next time comes is skipped, and a
// panic in a job is logged and recovered.
func (p *Poller) Run(ctx context.Context) error {
	if p.discoversByReading() {
		// The first cycle's fleet read discovers.
	} else if err := p.discover(ctx, nil); err != nil && !oms.IsRefused(err) { // a refusal paused polling and said so
		p.log.Error("initial discovery failed; polling the projects known so far", "error", p.opts.Redactor.Redact(err.Error()))
	}
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	cl := cronLogger{p.log}
	c := cron.New(cron.WithParser(specParser), cron.WithLocation(p.opts.Schedule.Location), cron.WithLogger(cl),
		cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)))
	for g := range p.groups {
		var s cron.Schedule = p.groups[g].schedule
		if p.opts.PollAtStart {
			s = &firstNow{s: s}
		}
		c.Schedule(s, cron.FuncJob(func() { p.cycleUntil(ctx, work, g, true, nil) }))
	}
	if p.opts.List != nil {
		c.Schedule(p.rediscover, cron.FuncJob(func() { p.relist(ctx) }))
	}
	c.Start()
	<-ctx.Done()
	stopped := c.Stop()
	grace := time.NewTimer(p.opts.StopGrace)
	defer grace.Stop()
	select {
	case <-stopped.Done():
	case <-grace.C:
		p.log.Warn("polls still running after the stop grace; cancelling them", "grace", p.opts.StopGrace)
	}
	cancelWork()
	<-stopped.Done()
	return nil
}

// discoversByReading reports whether two-tier fleet reads do the initial
// discovery: they list the discovery's projects with everything a poll
// needs, so a separate listing first (a thousand light pages at 100,000
// projects, 100 s at 10 requests a second) would only delay the first
// sight.
func (p *Poller) discoversByReading() bool {
	return p.opts.Mode == TwoTier && p.opts.List != nil && p.opts.Lister != nil
}

// fleetListed reports whether a fleet read reached its last page.
func (p *Poller) fleetListed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pageCount > 0
}

// relist is the discovery job (Options.DiscoveryRefresh): a ListProjects
// re-list to the last page for new and vanished projects, unless a
// two-tier cycle read the whole fleet since the last job, which found
// both itself, or polling is paused. It reports whether it listed.
func (p *Poller) relist(ctx context.Context) bool {
	p.mu.Lock()
	whole, paused := p.fleetWhole, p.pause != nil
	p.fleetWhole = false
	p.mu.Unlock()
	if whole || paused { // paused: the cycles probe
		return false
	}
	if err := p.discover(ctx, nil); err != nil {
		p.log.Warn("discovery failed", "error", p.opts.Redactor.Redact(err.Error()))
	}
	return true
}

// cronLogger lets robfig/cron log through slog.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "error", err)...)
}
