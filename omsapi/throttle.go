package omsapi

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/omswatch/omswatch/internal/ctxsleep"
)

// throttle is the client-wide request rate: a token bucket at the
// configured QPS that halves when OMS answers Throttling* and creeps back
// (a twentieth of the base rate per success) once it stops. A rate-limit
// hint pauses every request until the hinted time. Halving on each
// throttling answer and recovering slowly (AIMD) settles just under the
// rate the account is actually allowed, whatever it is.
type throttle struct {
	lim   *rate.Limiter
	base  rate.Limit
	floor rate.Limit

	mu          sync.Mutex
	pausedUntil time.Time
}

// newThrottle allows qps requests per second with a burst of a tenth of a
// second's worth (at least one).
func newThrottle(qps float64) *throttle {
	burst := max(1, int(qps/10))
	return &throttle{lim: rate.NewLimiter(rate.Limit(qps), burst), base: rate.Limit(qps), floor: rate.Limit(qps / 32)}
}

// wait blocks until a request may be sent, or ctx ends.
func (t *throttle) wait(ctx context.Context) error {
	t.mu.Lock()
	until := t.pausedUntil
	t.mu.Unlock()
	if d := time.Until(until); d > 0 {
		if err := ctxsleep.Sleep(ctx, d); err != nil {
			return err
		}
	}
	return t.lim.Wait(ctx)
}

// throttled slows the whole client down after a throttling answer.
func (t *throttle) throttled(hint time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lim.SetLimit(max(t.floor, t.lim.Limit()/2))
	if hint > 0 {
		if until := time.Now().Add(hint); until.After(t.pausedUntil) {
			t.pausedUntil = until
		}
	}
}

// succeeded lets the rate recover towards the configured one.
func (t *throttle) succeeded() {
	if cur := t.lim.Limit(); cur < t.base {
		t.lim.SetLimit(min(t.base, cur+t.base/20))
	}
}

// limit is the current rate, requests per second.
func (t *throttle) limit() float64 { return float64(t.lim.Limit()) }
