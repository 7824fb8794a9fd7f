package poller

import (
	"hash/fnv"
	"time"
)

// Two-tier polling describes a project whose listed state did not change
// once every DescribeRefresh, to catch what ListProjects does not show.
// Were each project re-described when its last describe got that old, the
// projects described together (the whole fleet at first sight, or after a
// restart) would be due together again: a burst of one describe per
// project every DescribeRefresh. Instead each project has its own fixed
// place in the refresh window, its phase, and is re-described there: about
// 1/N of the fleet each cycle, N the cycles in the window.
//
// A project described off its phase (first sight, a change) goes back to
// it without ever waiting longer than DescribeRefresh, and without being
// re-described sooner than minRefresh (2/5) of it:
//
//   - next is the first phase point after the describe; if it is at least
//     minRefresh away, the project is re-described there, on its phase;
//   - if it is closer, the project is re-described minRefresh after that
//     phase point, 3/5 of a window before the next one, which is then far
//     enough to be on its phase from there on, even when the describe
//     comes up to a fifth of a window late (a cycle is usually a small
//     fraction of the window: 30s of 1h).
//
// So every project is re-described between 2/5 of a window and a window
// after its last describe, and in the steady state exactly once per window.
// The time is computed from the stored describe time alone, so a restarted
// poller or the next `omswatch once` finds the same projects due.

// refreshAt is when a project described at d is next described although
// its listed state did not change, for a refresh window of r.
func refreshAt(id string, d time.Time, r time.Duration) time.Time {
	if d.IsZero() || r <= 0 {
		return d
	}
	phase := int64(refreshPhase(id, r))
	rn := int64(r)
	since := (d.UnixNano() - phase) % rn
	if since < 0 {
		since += rn
	}
	next := time.Duration(rn - since) // to the first phase point after d, in (0, r]
	if least := minRefresh(r); next < least {
		next += least
	}
	return d.Add(next)
}

// minRefresh is the shortest time between two describes of a project whose
// listed state did not change, for a refresh window of r.
func minRefresh(r time.Duration) time.Duration { return r * 2 / 5 }

// refreshDue reports whether the project's periodic re-describe is due at
// now. A project never described is always due.
func (p *Poller) refreshDue(pr *project, now time.Time) bool {
	return pr.digest == "" || pr.describedAt.IsZero() || !now.Before(refreshAt(pr.id, pr.describedAt, p.opts.DescribeRefresh))
}

// refreshPhase is the project's fixed place in a refresh window of r.
func refreshPhase(id string, r time.Duration) time.Duration {
	h := fnv.New64a()
	h.Write([]byte("describe_refresh\x00"))
	h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(r))
}
