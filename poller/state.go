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
	busy     sync.Mutex
	loaded   bool   // the stored record was read
	rev      uint64 // the stored record's revision (0: none)
	digest   string // the stored snapshot's digest ("": none)
	status   string
	durable          // what two-tier polling decides on; the store keeps it too
	saved    durable // as last read from or written to the store
	lastErr  error
	pollErr  error  // why this poll failed, for the round's summary (nil until it does)
	failCode string // why this poll failed: oms.ErrorCode of its error ("" until one)

	// Guarded by Poller.mu.
	info      event.Project // as of the last snapshot or list entry, for groups and poll events
	group     int
	static    bool   // in Options.Projects
	listed    bool   // found by ListProjects discovery
	removed   bool   // gone; never polled again
	listedSeq uint64 // the last fleet read that listed it (see Poller.fleetSeq)
}

// durable is what two-tier polling decides on, kept in the project's
// stored record beside its snapshot (Record's two-tier state), so that a
// restarted poller or the next `omswatch once` decides as a long-running
// one would: when the project was last described, the listed state that
// describe saw, and its run of failures.
type durable struct {
	listDigest  string    // state digest of the last ListProjects entry
	listFull    string    // full digest of the last ListProjects entry
	describedAt time.Time // last full describe
	failures    int       // failed polls in a row
	firstFail   time.Time // when the run of failures began
	failingSent bool      // oms.poll.failing was handed off for this run
}

// differs reports whether d says something s does not, so that it must be
// saved. The list's full digest alone is no reason: it only spares a
// telemetry refresh, and it moves with every running project's delay.
func (d durable) differs(s durable) bool {
	return d.listDigest != s.listDigest || !d.describedAt.Equal(s.describedAt) || d.failures != s.failures ||
		!d.firstFail.Equal(s.firstFail) || d.failingSent != s.failingSent
}

// The methods below keep what the poller knows of a project in step with
// what happened to it, so that a poll passes the project around rather
// than its fields. pr.busy is held.

// loadedFrom takes in the project's stored record (rev 0 and no digest
// when there is none).
func (pr *project) loadedFrom(rec Record) {
	pr.loaded, pr.rev, pr.status = true, rec.Revision, rec.Status
	pr.digest = ""
	if rec.Snapshot != nil {
		pr.digest = rec.Snapshot.Digest()
	}
	pr.durable = durable{listDigest: rec.ListDigest, listFull: rec.ListFull, describedAt: rec.DescribedAt,
		failures: rec.Failures, firstFail: rec.FailingSince, failingSent: rec.FailingSent}
	pr.saved = pr.durable
	pr.lastErr = nil
	if rec.Failures > 0 {
		pr.lastErr = &storedError{code: rec.LastErrorCode, text: rec.LastError}
	}
}

// state is the record of the project's two-tier state, for Store.PutMeta;
// errText is its last error's text, secrets masked.
func (pr *project) state(errText string) Record {
	r := Record{ListDigest: pr.listDigest, ListFull: pr.listFull, DescribedAt: pr.describedAt, Revision: pr.rev,
		Failures: pr.failures, FailingSince: pr.firstFail, FailingSent: pr.failingSent}
	if pr.failures > 0 && pr.lastErr != nil {
		r.LastErrorCode, r.LastError = oms.ErrorCode(pr.lastErr), errText
	}
	return r
}

// described is the record, to be saved, of a describe at now that gave
// snap, the project's listed state then being listDigest (listFull in
// full).
func (pr *project) described(snap *oms.Snapshot, listDigest, listFull string, now time.Time) Record {
	return Record{Snapshot: snap, ListDigest: listDigest, ListFull: listFull, DescribedAt: now, ObservedAt: now,
		Status: textField(snap, "Status")}
}

// refreshed is the record, to be saved, of the stored snapshot brought up
// to date from the list at now (cur): the describe it came from is still
// the last one.
func (pr *project) refreshed(cur *oms.Snapshot, now time.Time) Record {
	return Record{Snapshot: cur, ListDigest: pr.listDigest, ListFull: pr.listFull, DescribedAt: pr.describedAt,
		ObservedAt: now, Status: textField(cur, "Status")}
}

// describedUnchanged notes a describe at now that found the stored
// snapshot as it was.
func (pr *project) describedUnchanged(listDigest, listFull string, now time.Time) {
	pr.describedAt, pr.listDigest, pr.listFull = now, listDigest, listFull
}

// committed notes that rec's change was handed off and rec saved (or its
// tombstone, when it is final) at revision rev: it is the project's state
// now, and any run of failures is over.
func (pr *project) committed(rec Record, rev uint64) {
	pr.rev, pr.digest, pr.status = rev, rec.Snapshot.Digest(), rec.Status
	pr.listDigest, pr.listFull, pr.describedAt = rec.ListDigest, rec.ListFull, rec.DescribedAt
	pr.resetFailures()
	pr.saved = pr.durable
}

// tombstoned notes that the project's removal was handed off and its
// tombstone saved at revision rev.
func (pr *project) tombstoned(rev uint64) {
	pr.rev, pr.digest = rev, ""
	pr.resetFailures()
	pr.saved = durable{}
}

// failedWith counts a failed poll at now.
func (pr *project) failedWith(err error, now time.Time) {
	if pr.failures == 0 {
		pr.firstFail = now
	}
	pr.failures++
	pr.lastErr, pr.pollErr, pr.failCode = err, err, oms.ErrorCode(err)
}

// resetFailures forgets the run of failures once its recovery is handed off.
func (pr *project) resetFailures() {
	pr.failures, pr.failingSent, pr.lastErr, pr.firstFail = 0, false, nil, time.Time{}
}

// storedError is a project's last failure as its stored record keeps it.
type storedError struct{ code, text string }

func (e *storedError) Error() string     { return e.text }
func (e *storedError) ErrorCode() string { return e.code }

// tombstone is the stored record of a project that is gone (status is the
// last seen) or final: not polled again.
func tombstone(status string, at time.Time, revision uint64) Record {
	return Record{Removed: true, Status: status, ObservedAt: at, Revision: revision}
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
