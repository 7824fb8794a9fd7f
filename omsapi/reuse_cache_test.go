package omsapi

import (
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/omswatch/omswatch/oms"
)

// keys lists the cached projects, most recently used first.
func (c *reuseCache) keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for el := c.order.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*reuseEntry).key.project)
	}
	return out
}

// newTestReuseCache is a cache of budget bytes that keeps answers of any
// size, so that small ones can stand for big ones.
func newTestReuseCache(budget int64) *reuseCache {
	c := newReuseCache(budget)
	c.minAnswer = 0
	return c
}

// tinySnapshot is a snapshot of a one-member project, as the client parses it.
func tinySnapshot(t testing.TB, id string) *oms.Snapshot {
	t.Helper()
	s, err := oms.ParseSnapshotReusing([]byte(`{"Id":"`+id+`"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReuseCacheBudgetAndLRU(t *testing.T) {
	// Every entry costs one unit: the same length of JSON and of raw answer.
	const rawLen = 1000
	unit := reuseCost(tinySnapshot(t, "p_a"), rawLen)
	type op struct {
		put    bool
		id     string
		rawLen int // for put (0: rawLen)
	}
	put := func(id string) op { return op{put: true, id: id} }
	get := func(id string) op { return op{id: id} }
	tests := []struct {
		name   string
		budget int64 // in units
		ops    []op
		want   []string // most recently used first
	}{
		{"within the budget", 3, []op{put("p_a"), put("p_b"), put("p_c")}, []string{"p_c", "p_b", "p_a"}},
		{"the oldest goes first", 3, []op{put("p_a"), put("p_b"), put("p_c"), put("p_d")}, []string{"p_d", "p_c", "p_b"}},
		{"a get makes an entry recent", 3, []op{put("p_a"), put("p_b"), put("p_c"), get("p_a"), put("p_d")},
			[]string{"p_d", "p_a", "p_c"}},
		{"a get of a missing project changes nothing", 2, []op{put("p_a"), put("p_b"), get("p_z"), put("p_c")},
			[]string{"p_c", "p_b"}},
		{"a put replaces the project's entry", 3, []op{put("p_a"), put("p_b"), put("p_a"), put("p_c"), put("p_d")},
			[]string{"p_d", "p_c", "p_a"}},
		{"a big entry evicts as many as it needs", 3, []op{put("p_a"), put("p_b"), put("p_c"), {put: true, id: "p_big", rawLen: 2*rawLen + 50}},
			[]string{"p_big"}},
		{"an entry bigger than the budget is not kept, nor the project's older one", 2,
			[]op{put("p_a"), put("p_b"), {put: true, id: "p_a", rawLen: 5 * rawLen}}, []string{"p_b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestReuseCache(tc.budget * unit)
			for _, o := range tc.ops {
				k := reuseKey{testSource, o.id}
				if !o.put {
					c.get(k)
					continue
				}
				n := o.rawLen
				if n == 0 {
					n = rawLen
				}
				c.put(k, tinySnapshot(t, o.id), n)
			}
			if got := c.keys(); !slices.Equal(got, tc.want) {
				t.Errorf("cached %v, want %v", got, tc.want)
			}
			checkReuseCache(t, c)
		})
	}
}

// checkReuseCache checks a cache's books: within budget, every entry in
// both the list and the map, the costs adding up.
func checkReuseCache(t testing.TB, c *reuseCache) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum int64
	for el := c.order.Front(); el != nil; el = el.Next() {
		e := el.Value.(*reuseEntry)
		sum += e.cost
		if c.byKey[e.key] != el {
			t.Errorf("entry %v is listed but not mapped", e.key)
		}
	}
	if sum != c.used || c.used > c.budget || len(c.byKey) != c.order.Len() {
		t.Errorf("used %d, entries cost %d, budget %d; %d mapped, %d listed", c.used, sum, c.budget, len(c.byKey), c.order.Len())
	}
}

// TestReuseCacheSmallAnswer: an answer under reuseMinAnswer is parsed
// plainly, without looking in the cache, and not kept.
func TestReuseCacheSmallAnswer(t *testing.T) {
	c := newReuseCache(0)
	k := reuseKey{testSource, "p_a"}
	body := []byte(`{"Id":"p_a"}`)
	s, err := c.parse(k, body)
	if err != nil {
		t.Fatal(err)
	}
	c.put(k, s, len(body))
	if st := c.stats(); st != (reuseStats{}) {
		t.Errorf("after a small answer the cache has %+v, want nothing", st)
	}
}

func TestReuseCacheBudgetOption(t *testing.T) {
	if c := newReuseCache(0); c == nil || c.budget != DefaultReuseCacheBytes {
		t.Errorf("budget 0 gives %+v, want the default", c)
	}
	c := newReuseCache(-1)
	if c != nil {
		t.Fatalf("a negative budget gives %+v, want a disabled cache", c)
	}
	k := reuseKey{testSource, "p_a"}
	c.put(k, tinySnapshot(t, "p_a"), 10)
	if s := c.get(k); s != nil || c.stats() != (reuseStats{}) {
		t.Errorf("a disabled cache keeps %v", s)
	}
}

// TestReuseCacheConcurrent has many workers get and put overlapping
// projects in a cache that holds a few: under -race, and the books
// balance at the end.
func TestReuseCacheConcurrent(t *testing.T) {
	snaps := map[string]*oms.Snapshot{}
	var ids []string
	for i := range 12 {
		id := "p_" + strconv.Itoa(i)
		ids = append(ids, id)
		snaps[id] = tinySnapshot(t, id)
	}
	c := newTestReuseCache(4 * reuseCost(snaps["p_0"], 500))
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				id := ids[(w*7+i*5)%len(ids)]
				k := reuseKey{testSource, id}
				if s := c.get(k); s != nil && s != snaps[id] {
					t.Errorf("project %s: got the snapshot of %s", id, s.ID())
					return
				}
				c.put(k, snaps[id], 400+i%200)
			}
		})
	}
	wg.Wait()
	checkReuseCache(t, c)
	if st := c.stats(); st.hits == 0 || st.miss == 0 || st.entries == 0 {
		t.Errorf("stats %+v: want hits, misses and entries", st)
	}
}
