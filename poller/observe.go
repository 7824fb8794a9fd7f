package poller

import (
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Poll results an Observer is told.
const (
	ResultChanged   = "changed"   // a change was handed off and its snapshot saved
	ResultUnchanged = "unchanged" // polled; nothing to hand off
	ResultFailed    = "failed"    // the poll, its hand-off or its save failed
	ResultRemoved   = "removed"   // the project is gone, or reached a final status
)

// CodeInternal is the code of a poll that failed after OMS answered: the
// snapshot store or the hand-off failed.
const CodeInternal = "internal"

// Observer is told how each project poll ends, for metrics (cmd/omswatch
// counts them with Prometheus; the poller stays free of it). Polled is
// called from the poll workers: it must be quick and safe for concurrent
// use.
type Observer interface {
	// Polled reports one poll: its result (ResultChanged, ...), the error
	// code of a failed one (oms.ErrorCode's, or CodeInternal; "" otherwise)
	// and how long it took, from its start to its snapshot saved.
	Polled(result, code string, took time.Duration)
	// FleetUnread reports a cycle whose ListProjects fleet read failed after
	// its retries (code: oms.ErrorCode of the last error): the cycle kept
	// the last listed state and described only the projects due anyway.
	FleetUnread(code string)
}

// observe reports a finished poll to the Observer. Skipped polls (busy,
// removed, shutting down) are no polls.
func (p *Poller) observe(pr *project, o outcome, took time.Duration) {
	if p.opts.Observer == nil || o == outcomeSkipped || o == outcomeUnlisted {
		return
	}
	result, code := ResultUnchanged, ""
	switch o {
	case outcomeChanged:
		result = ResultChanged
	case outcomeRemoved:
		result = ResultRemoved
	case outcomeFailed:
		result, code = ResultFailed, pr.failCode
		if code == "" {
			code = CodeInternal
		}
	}
	p.opts.Observer.Polled(result, code, took)
}

// Cycles is how many cycles have ended since the poller was built (a cycle
// with no project to poll counts): readiness waits for the first.
func (p *Poller) Cycles() int64 { return p.cycles.Load() }

// Watched is how many projects the poller knows (configured and
// discovered, not removed); every replica knows them all.
func (p *Poller) Watched() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, pr := range p.projects {
		if !pr.removed {
			n++
		}
	}
	return n
}

// firstNow is a schedule that fires once at once, then on s: Run's
// PollAtStart, through cron so that SkipIfStillRunning and Recover apply
// to the first cycle too.
type firstNow struct {
	s     cron.Schedule
	fired atomic.Bool
}

func (f *firstNow) Next(t time.Time) time.Time {
	if f.fired.CompareAndSwap(false, true) {
		return t
	}
	return f.s.Next(t)
}
