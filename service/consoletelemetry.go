package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/sinks"
)

// observedTelemetry is the observation log as the console's charts read
// it (console.Telemetry): a project's snapshots rebuilt from its chain of
// records (a whole snapshot, then merge patches), so that a restarted
// service still charts the delay it saw before.
type observedTelemetry struct {
	js jetstream.JetStream
}

// errEnough ends a read of the log once it is past what was asked for.
var errEnough = errors.New("read far enough")

// Snapshots reads the project's records from a day before from (a chain
// starts with a whole snapshot at least once a day, keyframeEvery) and
// hands fn the snapshots observed in [from, to), at most one each
// (to-from)/limit.
func (t observedTelemetry) Snapshots(ctx context.Context, source, project string, from, to time.Time, limit int,
	fn func(time.Time, *oms.Snapshot)) error {
	var ch telemetryChain
	every := to.Sub(from) / time.Duration(max(limit, 1))
	next := from
	emit := func(at time.Time) error {
		if at.Before(next) || !at.Before(to) || ch.tree == nil {
			return nil
		}
		s, err := oms.Canonicalize(ch.tree)
		if err != nil {
			return err
		}
		fn(at, s)
		next = at.Add(every)
		return nil
	}
	q := sinks.ReadQuery{Stream: sinks.DefaultObservationStream, Subject: sinks.ObservationSubject(sinks.DefaultObservationPrefix, source, project),
		Since: from.Add(-keyframeEvery - idleFlush)}
	err := sinks.ReadMessages(ctx, t.js, q, func(m sinks.StoredMsg) error {
		o, err := decodeObservation(m.Data)
		if err != nil {
			return fmt.Errorf("observation log of %s (sequence %d): %w", project, m.Seq, err)
		}
		if o.Source != source || o.Project != project {
			return nil // the tokens of two ids may coincide
		}
		if !o.IdleFrom.IsZero() && !o.IdleFrom.Before(to) || o.IdleFrom.IsZero() && !o.Time.Before(to) {
			return errEnough
		}
		if !ch.take(o) {
			return nil
		}
		at := o.IdleFrom
		for _, e := range o.Idle {
			at = at.Add(time.Duration(e.Gap) * time.Millisecond)
			ch.idle(e)
			if err := emit(at); err != nil {
				return err
			}
		}
		if err := ch.record(o); err != nil {
			return fmt.Errorf("observation log of %s at %s: %w", project, stamp(o.Time), err)
		}
		return emit(o.Time)
	})
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}

// telemetryChain follows a project's chain of records as the backtest's
// rebuilder does (without its rules): tree is the snapshot the last
// record stands for, nil while the chain is broken.
type telemetryChain struct {
	tree   map[string]any
	digest string    // the original snapshot's digest, or its first prevLen digits
	last   time.Time // of the last record followed
}

// take says whether o is the chain's next record (see outOfChain), and
// then notes its time.
func (c *telemetryChain) take(o observation) bool {
	if outOfChain(o, c.last, c.digest, c.tree != nil) {
		return false
	}
	c.last = o.Time
	return true
}

func (c *telemetryChain) idle(e idleObs) {
	if c.tree != nil && e.Patch != nil {
		c.tree, c.digest = applyMergePatch(c.tree, e.Patch), e.Digest
	}
}

func (c *telemetryChain) record(o observation) error {
	switch {
	case o.Omitted || o.Removed:
		c.tree = nil
	case o.Snapshot != nil:
		s, err := oms.ParseSnapshot(o.Snapshot)
		if err != nil {
			return err
		}
		c.tree, c.digest = s.Tree(), o.Digest
	case o.Digest == "" || c.tree == nil: // a failed poll; or the chain is broken
	case o.Prev != "" && short(c.digest) != o.Prev:
		c.tree = nil // the records before it are gone: until the next whole snapshot
	case o.Patch != nil:
		c.tree, c.digest = applyMergePatch(c.tree, o.Patch), o.Digest
	default:
		c.digest = o.Digest
	}
	return nil
}
