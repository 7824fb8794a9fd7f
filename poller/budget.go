package poller

import (
	"time"

	"golang.org/x/time/rate"
)

// The describe budget. An account's API allows about 10 requests a second,
// and a fleet read of 100,000 projects alone takes 667 ListProjects pages:
// were every changed project described, a fleet in motion (tens of
// thousands of changes a minute) would queue its describes behind the
// account's rate limit, the cycle would overrun and the next ones be
// skipped, and detection would take hours. A ListProjects entry with
// related info carries the project's state (status, steps, errors, alarms,
// delay), all but a few members (the transfer mapping, some settings), so
// the poller can take a change from the entry at once and spend a bounded
// rate of describes on what is most likely to have changed beyond the
// list: first the projects whose listed state changed, then, with what is
// left, first sightings and periodic re-describes. Those wait for a later
// cycle; a change never does.

// budgetWindow is how many seconds of describes the budget lets a burst
// take at once: a small fleet whose projects change together is described
// at once, as without a budget.
const budgetWindow = 30

// budget hands out describes at a rate.
type budget struct {
	lim   *rate.Limiter
	burst int
}

func newBudget(perSecond float64) *budget {
	burst := max(1, int(perSecond*budgetWindow))
	return &budget{lim: rate.NewLimiter(rate.Limit(perSecond), burst), burst: burst}
}

// allow reports whether a describe may be spent now: on a project whose
// listed state changed (changed) whenever there is one to spend, on
// anything else only while at least half the burst is left, so that
// re-describes and first sightings never use up what changes need.
func (b *budget) allow(changed bool, now time.Time) bool {
	if !changed && b.lim.TokensAt(now) < float64(b.burst)/2 {
		return false
	}
	return b.lim.AllowN(now, 1)
}
