package omssim

import (
	"sync"
	"time"
)

// Moment is the simulator's notion of "now" handed to a Scenario: the tick
// counter and the elapsed simulated time since the server started. Both come
// from one clock reading so a scenario never sees them disagree.
type Moment struct {
	// Tick counts ticks since start: real-time ticks plus manual advances.
	Tick int64
	// Elapsed is the time since start, manual advances counting one tick
	// interval each. Time-based replay maps it onto a recording.
	Elapsed time.Duration
}

// clock turns a time source into Moments. In real-time mode a tick passes
// every interval; in manual mode only Advance moves it, so tests need no sleeps.
type clock struct {
	now      func() time.Time
	start    time.Time
	interval time.Duration
	manual   bool

	mu       sync.Mutex
	advanced int64
}

func newClock(now func() time.Time, start time.Time, interval time.Duration, manual bool) *clock {
	if start.IsZero() {
		start = now()
	}
	return &clock{now: now, start: start, interval: interval, manual: manual}
}

// moment reads the clock.
func (c *clock) moment() Moment {
	c.mu.Lock()
	advanced := c.advanced
	c.mu.Unlock()
	m := Moment{Tick: advanced, Elapsed: time.Duration(advanced) * c.interval}
	if c.manual {
		return m
	}
	passed := c.now().Sub(c.start)
	if passed < 0 {
		passed = 0 // a time source that steps backwards must not rewind scenarios
	}
	m.Elapsed += passed
	m.Tick += int64(passed / c.interval)
	return m
}

// advance moves the clock n ticks forward (n may be 0; negative is ignored).
func (c *clock) advance(n int64) {
	if n <= 0 {
		return
	}
	c.mu.Lock()
	c.advanced += n
	c.mu.Unlock()
}
