package poller

import (
	"context"
	"errors"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// Errors of a Store; match them with errors.Is.
var (
	// ErrNotFound says the store has no record for the project.
	ErrNotFound = errors.New("no stored snapshot")
	// ErrConflict says the record changed since it was read (another
	// writer): the write was refused rather than overwrite it.
	ErrConflict = errors.New("stored snapshot changed since it was read")
)

// Record is what the store keeps for one project.
type Record struct {
	// Snapshot is the last snapshot handed off; nil in a tombstone.
	Snapshot *oms.Snapshot
	// ListDigest is the state digest (oms.Snapshot.StateDigest) of the
	// project's ListProjects entry when Snapshot was taken: two-tier
	// polling describes the project again when it changes.
	ListDigest string
	// ListFull is the full digest (oms.Snapshot.Digest) of the project's
	// last ListProjects entry: while it stays the same, the list brings no
	// telemetry to refresh the stored snapshot with.
	ListFull string
	// DescribedAt is when the project was last described in full.
	DescribedAt time.Time
	// Failures counts the project's failed polls in a row (0: none),
	// FailingSince is when that run began, FailingSent whether
	// oms.poll.failing was handed off for it, and LastErrorCode and
	// LastError are the last failure's oms.ErrorCode and text (secrets
	// masked). They are kept so that a restarted poller, or the next
	// `omswatch once`, goes on counting where the last one stopped.
	Failures                 int
	FailingSince             time.Time
	FailingSent              bool
	LastErrorCode, LastError string
	// ObservedAt is when Snapshot was observed.
	ObservedAt time.Time
	// Removed marks a tombstone: the project is gone and not polled again.
	Removed bool
	// Status is the project status last seen (kept in tombstones too).
	Status string
	// Revision is the record's revision in the store, for compare-and-set;
	// 0 when it was not read from the store.
	Revision uint64
}

// Store keeps each project's last snapshot across restarts. Keys are
// (source, project). Implementations must be safe for concurrent use.
type Store interface {
	// Get returns the project's record with its Revision, or ErrNotFound.
	Get(ctx context.Context, source, project string) (Record, error)
	// Put writes rec if the stored revision is still rec.Revision (0: if
	// there is none) and returns the new revision; ErrConflict otherwise.
	Put(ctx context.Context, source, project string, rec Record) (uint64, error)
	// PutMeta writes the two-tier state of rec (ListDigest, ListFull,
	// DescribedAt and the failure fields) over the stored record's, keeping
	// its snapshot, ObservedAt, Status and Removed as they are: the write of
	// a poll that learnt something about the project but saw no change, with
	// no snapshot compressed again. Like Put it writes only if the stored
	// revision is still rec.Revision (0: if there is none, and then it
	// creates a record without a snapshot), and returns the new revision or
	// ErrConflict.
	PutMeta(ctx context.Context, source, project string, rec Record) (uint64, error)
	// Delete removes the record if its revision is still revision;
	// ErrConflict otherwise. Deleting a missing record is no error.
	Delete(ctx context.Context, source, project string, revision uint64) error
}
