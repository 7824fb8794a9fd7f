package omsapi

import (
	"container/list"
	"sync"

	"github.com/omswatch/omswatch/oms"
)

// DefaultReuseCacheBytes is the reuse cache's budget when
// Options.ReuseCacheBytes is 0: room for about six 5,000-table projects
// or thirty of 1,000.
const DefaultReuseCacheBytes = 64 << 20

// reuseMinAnswer is the smallest answer parsed reusing and cached (about
// 1,000 tables); smaller ones are parsed by oms.ParseSnapshot and not kept.
// Reuse pays on big answers only: on a 5,000-table one it saves ~20 ms of a
// 33 ms Fetch, but on a typical project (1 to 200 tables, 1 to 60 KB) a
// fraction of a millisecond, less than what holding its snapshot costs.
// BenchmarkFleet's 1,000 typical projects with every answer cached in 64
// MiB took 20% (two-tier, 35% hits) and 32% (describe_always: no hits,
// LRU evicting each project just before its next describe) more CPU and
// twice the RSS; even a cache holding the whole fleet saved at most 10% of
// the CPU, for 2.8 times the RSS.
const reuseMinAnswer = 256 << 10

// reuseFootprint is how many bytes of heap a snapshot made by
// oms.ParseSnapshotReusing holds per byte of its canonical JSON plus its
// raw answer. Measured on generated projects of 1 to 5,000 tables: 4.2 to
// 4.6 (the tree, the canonical JSON, the copy of the raw Data, the span
// index and the memo's entries). Counting only JSON plus raw would let the
// cache hold four times its budget.
const reuseFootprint = 4.5

// reuseKey names a project at its source.
type reuseKey struct{ source, project string }

// reuseEntry is one cached snapshot and what it is estimated to hold.
type reuseEntry struct {
	key  reuseKey
	snap *oms.Snapshot
	cost int64
}

// reuseCache keeps the last snapshot parsed from OMS's raw answer for the
// most recently described projects, within a byte budget, least recently
// used first out. It exists so that a DescribeProject answer is parsed
// with oms.ParseSnapshotReusing against the project's previous answer:
// most of a big project's answer is the same from one poll to the next,
// and reusing it parses a 5,000-table project in about a ninth of the
// time. A snapshot read back from the Store cannot serve (it was parsed
// from canonical JSON, not from OMS's bytes), hence a cache of the client's
// own.
//
// Holding every project's last snapshot would cost gigabytes on a large
// fleet (a 5,000-table project holds about 9 MB), hence the budget. What
// the cache holds never changes a result, only how fast it comes:
// ParseSnapshotReusing gives exactly what ParseSnapshot gives, whatever
// prev is. Only successful parses are stored, so a failed poll does not
// throw away what the next one can reuse.
//
// A nil *reuseCache is a disabled cache: get finds nothing and put keeps
// nothing. It is safe for concurrent use.
type reuseCache struct {
	budget    int64
	minAnswer int // answers shorter are parsed plainly and not kept (reuseMinAnswer)

	mu    sync.Mutex
	used  int64                      // the sum of the entries' costs
	order *list.List                 // *reuseEntry, most recently used first
	byKey map[reuseKey]*list.Element // into order
	hits  int64                      // gets that found a snapshot
	miss  int64                      // gets that did not
}

// newReuseCache returns a cache of budget bytes: DefaultReuseCacheBytes
// for 0, nil (disabled) for a negative budget.
func newReuseCache(budget int64) *reuseCache {
	switch {
	case budget < 0:
		return nil
	case budget == 0:
		budget = DefaultReuseCacheBytes
	}
	return &reuseCache{budget: budget, minAnswer: reuseMinAnswer, order: list.New(), byKey: map[reuseKey]*list.Element{}}
}

// parse parses a DescribeProject answer of the project with its last
// snapshot as prev. A disabled cache, or a small answer, is parsed with
// oms.ParseSnapshot: a snapshot of ParseSnapshotReusing remembers its
// answer for the next parse, which costs time (a quarter more than a plain
// parse) and memory that only reuse makes worth it.
func (c *reuseCache) parse(k reuseKey, body []byte) (*oms.Snapshot, error) {
	if c == nil || len(body) < c.minAnswer {
		return oms.ParseSnapshot(body)
	}
	return oms.ParseSnapshotReusing(body, c.get(k))
}

// get returns the project's last snapshot, nil when there is none, and
// marks it recently used.
func (c *reuseCache) get(k reuseKey) *oms.Snapshot {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[k]
	if !ok {
		c.miss++
		return nil
	}
	c.hits++
	c.order.MoveToFront(el)
	return el.Value.(*reuseEntry).snap
}

// put makes s, parsed from a raw answer of rawLen bytes, the project's
// last snapshot, evicting the least recently used others as the budget
// requires. A small answer's snapshot (parsed plainly, with nothing to
// reuse) is not kept, and one bigger than the whole budget neither (nor
// then the project's previous one, which is older than what the next poll
// will see).
func (c *reuseCache) put(k reuseKey, s *oms.Snapshot, rawLen int) {
	if c == nil || rawLen < c.minAnswer {
		return
	}
	cost := reuseCost(s, rawLen)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[k]; ok {
		c.remove(el)
	}
	if cost > c.budget {
		return
	}
	c.byKey[k] = c.order.PushFront(&reuseEntry{key: k, snap: s, cost: cost})
	c.used += cost
	for c.used > c.budget {
		c.remove(c.order.Back())
	}
}

// reuseCost is what s, parsed from a raw answer of rawLen bytes, is
// estimated to hold.
func reuseCost(s *oms.Snapshot, rawLen int) int64 {
	return int64(reuseFootprint * float64(len(s.JSON())+rawLen))
}

// remove drops an entry. The caller holds mu.
func (c *reuseCache) remove(el *list.Element) {
	e := c.order.Remove(el).(*reuseEntry)
	delete(c.byKey, e.key)
	c.used -= e.cost
}

// reuseStats are a cache's figures, for tests.
type reuseStats struct {
	entries          int
	used, hits, miss int64
}

func (c *reuseCache) stats() reuseStats {
	if c == nil {
		return reuseStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return reuseStats{entries: c.order.Len(), used: c.used, hits: c.hits, miss: c.miss}
}
