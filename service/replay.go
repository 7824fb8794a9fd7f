package service

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/differ"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// ReplayOutput hears what a replay produces, in the recording's time
// order.
type ReplayOutput interface {
	// Notifications are sent (would have been) at their Time.
	Notifications(ns []sinks.Notification)
	// Skipped tells of an observation that is a failed poll.
	Skipped(now time.Time, o omssim.Observation, err error)
	// ExpressionError tells of a rule expression that failed (it counts
	// as false).
	ExpressionError(now time.Time, err error)
}

// ReadRecording reads a recording file (JSON Lines of DescribeProject
// answers); its errors are marked ErrInvalid.
func ReadRecording(name string) ([]omssim.Observation, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, Invalid(fmt.Errorf("read recording: %w", err))
	}
	defer f.Close()
	obs, err := omssim.ReadRecording(f)
	if err != nil {
		return nil, Invalid(fmt.Errorf("%s: %w", name, err))
	}
	if len(obs) == 0 {
		return nil, Invalidf("%s: no observations: a recording is JSON Lines of DescribeProject answers, as run --record and sim --write-recording write them", name)
	}
	return obs, nil
}

// Replay runs the observations in order through canonicalisation, the
// differ, the conditions, the routes and the targets' grouping, on the
// recording's clock: before each observation the notifications due by its
// time are told, and at the end everything still waiting, at the time it
// would have been sent. Nothing is sent.
func Replay(ctx context.Context, cfg *config.Config, eng *rules.Engine, obs []omssim.Observation, out ReplayOutput) error {
	store := &rules.MemStore{}
	disp := NewGrouping(cfg)
	announce := newAnnouncer(cfg)
	last := map[[2]string]*oms.Snapshot{}
	ended := map[[2]string]bool{}
	for i, o := range obs {
		now := o.Time.UTC()
		out.Notifications(disp.Due(now))
		key := [2]string{o.Source, o.Project}
		if ended[key] {
			continue // run stops polling a project once it is RELEASED or DELETED
		}
		prev := last[key]
		// Reusing the project's last snapshot gives what ParseSnapshot
		// gives, faster on a recording of big projects.
		cur, err := oms.ParseSnapshotReusing(o.Response, prev)
		if err != nil {
			out.Skipped(now, o, err)
			continue
		}
		dobs := differ.Observation{Source: o.Source, Time: now}
		res, err := differ.Diff(prev, cur, dobs)
		if err != nil {
			return Invalidf("recording line %d: %v", i+1, err)
		}
		events := res.Events
		final := finalStatus(cur)
		if final && prev != nil {
			// As run does: a project that reached a final status is
			// removed, and its firing conditions resolve; one first seen
			// in a final status is recorded by its discovered event only.
			e, err := differ.Removed(cur, dobs)
			if err != nil {
				return Invalidf("recording line %d: %v", i+1, err)
			}
			events = append(events, e)
		}
		st, err := store.Load(ctx, o.Source, o.Project)
		if err != nil {
			return err
		}
		outcome, err := eng.Evaluate(rules.Poll{Source: o.Source, Prev: prev, Cur: cur, Removed: final, Events: events,
			Now: now, State: st})
		if err != nil {
			return err
		}
		ended[key] = final
		for _, e := range outcome.Errors {
			out.ExpressionError(now, e)
		}
		if err := store.Save(ctx, o.Source, o.Project, outcome.State); err != nil {
			return err
		}
		disp.Add(now, announce.deliveries(Deliveries(outcome.Deliveries)))
		last[key] = cur
	}
	out.Notifications(disp.Flush())
	return nil
}

// finalStatus reports whether a snapshot's status is one run stops
// polling at (RELEASED, DELETED).
func finalStatus(s *oms.Snapshot) bool {
	status, _ := s.Member("Status").(string)
	return status == "RELEASED" || status == "DELETED"
}
