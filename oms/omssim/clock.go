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
	frozen   *Moment // set by freeze: time stands still from then on
}

// freeze stops the clock where it is: a load run's settling time, in
// which the service may catch up with every change made before it.
func (c *clock) freeze() Moment {
	m := c.moment()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen == nil {
		c.frozen = &m
	}
	return *c.frozen
}

// wallOf is when tick t began on the wall clock (real-time mode, manual
// advances taken as having happened at start).
func (c *clock) wallOf(t int64) time.Time {
	c.mu.Lock()
	advanced := c.advanced
	c.mu.Unlock()
	return c.start.Add(time.Duration(t-advanced) * c.interval)
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
	advanced, manual, frozen := c.advanced, c.manual, c.frozen
	c.mu.Unlock()
	if frozen != nil {
		return *frozen
	}
	m := Moment{Tick: advanced, Elapsed: time.Duration(advanced) * c.interval}
	if manual {
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
