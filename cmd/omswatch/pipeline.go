package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/omswatch/omswatch/differ"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
)

// eventSink is where the pipeline's events go; Send returns nil once they
// are durable. Until the rules and sinks issues land, it is the printer.
type eventSink interface {
	Send(ctx context.Context, events []event.Event) error
}

// pipeline is the poller's Handler: diff -> (rules, outbox: later issues)
// -> sink. It returns nil only after the sink took the events, which is
// when the poller saves the new snapshot.
type pipeline struct {
	out eventSink
}

// Handle turns one change into events and sends them.
func (p pipeline) Handle(ctx context.Context, c poller.Change) error {
	events, err := changeEvents(c)
	if err != nil {
		return err
	}
	if len(events) == 0 {
		return nil
	}
	return p.out.Send(ctx, events)
}

// changeEvents are the events of a change: the differ's between the two
// snapshots, oms.project.removed for a removal, and the poller's own.
func changeEvents(c poller.Change) ([]event.Event, error) {
	obs := differ.Observation{Source: c.Source, Time: c.Time.UTC()}
	var events []event.Event
	if c.Current != nil {
		res, err := differ.Diff(c.Previous, c.Current, obs)
		if err != nil {
			return nil, fmt.Errorf("diff %s: %w", c.Project, err)
		}
		events = append(events, res.Events...)
	}
	if last := lastSnapshot(c); c.Removed && last != nil {
		e, err := differ.Removed(last, obs)
		if err != nil {
			return nil, fmt.Errorf("removal of %s: %w", c.Project, err)
		}
		events = append(events, e)
	}
	return append(events, c.Events...), nil
}

// lastSnapshot is the project's last known state: the final snapshot of a
// project that reached RELEASED or DELETED, else the stored one.
func lastSnapshot(c poller.Change) *oms.Snapshot {
	if c.Current != nil {
		return c.Current
	}
	if c.Previous != nil {
		return c.Previous
	}
	return nil
}

// printSink writes events to w, one per line, as CloudEvents JSON or as
// the one-line text of `omswatch diff --format text`.
type printSink struct {
	mu     sync.Mutex
	w      io.Writer
	format string
	count  int
}

// Send prints the events; a write error fails the hand-off.
func (s *printSink) Send(_ context.Context, events []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		var line []byte
		if s.format == "text" {
			line = []byte(textLine(e))
		} else {
			b, err := e.JSON()
			if err != nil {
				return fmt.Errorf("encode event %s: %w", e.ID, err)
			}
			line = b
		}
		if _, err := s.w.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("print events: %w", err)
		}
		s.count++
	}
	return nil
}
