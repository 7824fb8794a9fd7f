package poller

import (
	"hash/fnv"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// project is what the poller keeps in memory about one project: a few
// hundred bytes, so that a 10,000-project fleet costs megabytes. The
// snapshots themselves live in the Store.
type project struct {
	id string

	// busy is held while the project is polled; the fields below it are
	// read and written only under it.
	busy        sync.Mutex
	loaded      bool      // the stored record was read
	rev         uint64    // the stored record's revision (0: none)
	digest      string    // the stored snapshot's digest ("": none)
	listDigest  string    // state digest of the last ListProjects entry
	listFull    string    // full digest of the last ListProjects entry
	describedAt time.Time // last full describe
	status      string
	failures    int       // failed polls in a row
	firstFail   time.Time // when the run of failures began
	failingSent bool      // oms.poll.failing was handed off for this run
	lastErr     error
	failCode    string // why this poll failed: oms.ErrorCode of its error ("" until one)

	// Guarded by Poller.mu.
	info    event.Project // as of the last snapshot or list entry, for groups and poll events
	group   int
	static  bool // in Options.Projects
	listed  bool // found by ListProjects discovery
	removed bool // gone; never polled again
}

// infoOf reads the event's project fields from a canonical snapshot. The
// strings are copies: a snapshot's strings share memory with the whole
// answer they were decoded from (a ListProjects page of 150 projects), and
// a poller keeps infoOf of every project of the fleet, which pinned every
// page of a cycle (210 MB live at 10,000 projects) before they were copied.
func infoOf(s *oms.Snapshot) event.Project {
	t := s.Tree()
	p := event.Project{ID: strings.Clone(s.ID()), Name: textField(s, "Name"), Type: textField(s, "Type"),
		Status: textField(s, "Status"), Importance: textField(s, "Importance"), Owner: textField(s, "Owner")}
	if labels, ok := t["Labels"].(map[string]any); ok {
		for _, l := range labels {
			if m, ok := l.(map[string]any); ok {
				if n, ok := m["Name"].(string); ok && n != "" {
					p.Labels = append(p.Labels, strings.Clone(n))
				}
			}
		}
		sort.Strings(p.Labels)
	}
	return p
}

// textField reads a top-level string member of a snapshot, as a copy
// (see infoOf).
func textField(s *oms.Snapshot, key string) string {
	v, _ := s.Tree()[key].(string)
	return strings.Clone(v)
}

// terminal reports the statuses after which a project is not polled again.
func terminal(status string) bool { return status == "RELEASED" || status == "DELETED" }

// jitterOffset is the project's fixed place within a cycle's jitter window.
func jitterOffset(id string, window time.Duration) time.Duration {
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(window))
}
