package omssim

import (
	"fmt"
	"sync"
)

// A fleet read pages through ListProjects, and every page filters and
// sorts the whole fleet: at 100,000 projects the simulator spent its time
// computing each project's state again for each of the 667 pages of one
// read. Within a tick a generated fleet does not move, so the filtered,
// sorted list of the last tick and query is kept for the next pages.

// tickScenario is a scenario whose projects at a moment depend on its
// tick alone (not on the elapsed time).
type tickScenario interface {
	Scenario
	tickOnly()
}

func (g *Generator) tickOnly() {}

// listCache holds the filtered, sorted projects of one tick and query.
type listCache struct {
	mu    sync.Mutex
	tick  int64
	key   string
	kept  []ProjectInfo
	valid bool
}

// filtered returns q's projects at m, filtered and sorted, from the cache
// when the scenario allows and the last page asked for the same.
func (s *Server) filtered(m Moment, q listQuery) []ProjectInfo {
	if _, ok := s.scenario.(tickScenario); !ok {
		return q.filter(s.scenario.Projects(m))
	}
	k := q
	k.pageNumber, k.pageSize = 0, 0
	key := fmt.Sprintf("%+v", k)
	c := &s.lists
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.valid || c.tick != m.Tick || c.key != key {
		c.kept, c.tick, c.key, c.valid = q.filter(s.scenario.Projects(m)), m.Tick, key, true
	}
	return c.kept
}
