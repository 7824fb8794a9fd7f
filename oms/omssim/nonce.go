package omssim

import (
	"sync"
	"time"
)

// nonceCache remembers signature nonces for maxSkew so a replayed request is
// refused. Memory is bounded: past capacity the oldest nonces are forgotten
// early, which a replay could then slip through; 100,000 nonces is far more
// than a simulator sees in 15 minutes.
type nonceCache struct {
	mu       sync.Mutex
	window   time.Duration
	capacity int
	seen     map[string]time.Time
	order    []nonceEntry // insertion order, oldest first, from head on
	head     int
}

type nonceEntry struct {
	key string
	at  time.Time
}

func newNonceCache(window time.Duration, capacity int) *nonceCache {
	return &nonceCache{window: window, capacity: capacity, seen: make(map[string]time.Time)}
}

// use records key at now and reports whether it was unused in the window.
func (c *nonceCache) use(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if _, dup := c.seen[key]; dup {
		return false
	}
	c.seen[key] = now
	c.order = append(c.order, nonceEntry{key, now})
	return true
}

// expire drops entries older than the window and beyond capacity. Entries
// are appended in arrival order, so the oldest are at head.
func (c *nonceCache) expire(now time.Time) {
	for c.head < len(c.order) {
		e := c.order[c.head]
		if now.Sub(e.at) <= c.window && len(c.seen) < c.capacity {
			break
		}
		if c.seen[e.key] == e.at {
			delete(c.seen, e.key)
		}
		c.order[c.head] = nonceEntry{}
		c.head++
	}
	// Compact once the dead prefix dominates, so the slice does not grow forever.
	if c.head > 1024 && c.head*2 > len(c.order) {
		c.order = append([]nonceEntry(nil), c.order[c.head:]...)
		c.head = 0
	}
}

func (c *nonceCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}
