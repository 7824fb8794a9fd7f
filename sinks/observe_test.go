package sinks_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// counts is an Observer that counts what it is told, per target.
type counts struct {
	mu                         sync.Mutex
	delivered, retried, letter map[string]int
	late                       bool // an event's Time after its delivery
}

func newCounts() *counts {
	return &counts{delivered: map[string]int{}, retried: map[string]int{}, letter: map[string]int{}}
}

func (c *counts) Delivered(target string, es []event.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.delivered[target] += len(es)
	for _, e := range es {
		c.late = c.late || e.Time.IsZero() || e.Time.After(time.Now())
	}
}

func (c *counts) Retried(target string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.retried[target] += n
}

func (c *counts) DeadLettered(target string, n int, _ string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.letter[target] += n
}

func (c *counts) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("delivered %v, retried %v, dead letters %v, late %v", c.delivered, c.retried, c.letter, c.late)
}

// The Observer hears of every delivery, retry and dead letter, by target.
func TestObserverHearsEveryOutcome(t *testing.T) {
	cases := []struct {
		name string
		fail func(call int) error
		want string
	}{
		{"delivered", nil, "delivered map[t:2], retried map[], dead letters map[], late false"},
		{"retried twice", func(call int) error {
			if call <= 2 {
				return errors.New("connection refused")
			}
			return nil
		}, "delivered map[t:2], retried map[t:%d], dead letters map[], late false"},
		{"dead-lettered", func(int) error { return sinks.Permanent(errors.New("invalid_auth")) },
			"delivered map[], retried map[], dead letters map[t:2], late false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, js := startServer(t)
			ob := newOutbox(t, js)
			obs := newCounts()
			rec := &recorder{fail: tc.fail}
			d := startDispatcher(t, sinks.DispatcherOptions{Outbox: ob, Observer: obs, InitialBackoff: time.Millisecond,
				MaxBackoff: 2 * time.Millisecond, Targets: []sinks.Target{{Name: "t", Sink: rec}}})
			if err := ob.Publish(t.Context(), entries("np_1", 0, 2, "t")); err != nil {
				t.Fatal(err)
			}
			if err := d.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			// A retry counts the events of the failed send: both events
			// of one batch, or one each when they came in two fetches.
			want := tc.want
			if strings.Contains(want, "%d") {
				failed := rec.failedEvents()
				want = fmt.Sprintf(want, failed)
				if failed < 2 {
					t.Errorf("%d events in failed sends, want at least the two failed calls", failed)
				}
			}
			if got := obs.String(); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

// Backlog counts what a target has not finished: nothing before its
// consumer exists, what was published while it was stopped, nothing once
// it caught up.
func TestBacklogCountsWhatATargetHasNotFinished(t *testing.T) {
	_, js := startServer(t)
	ob := newOutbox(t, js)
	backlog := func() uint64 {
		n, err := ob.Backlog(t.Context(), "t")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := backlog(); n != 0 {
		t.Fatalf("before the target started: %d", n)
	}
	targets := []sinks.Target{{Name: "t", Sink: &recorder{}}}
	d, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: ob, Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if err := ob.Publish(t.Context(), entries("np_1", 0, 3, "t")); err != nil {
		t.Fatal(err)
	}
	if n := backlog(); n != 3 {
		t.Fatalf("while stopped: %d, want 3", n)
	}
	d = startDispatcher(t, sinks.DispatcherOptions{Outbox: ob, Targets: targets})
	if err := d.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := backlog(); n != 0 {
		t.Fatalf("after catching up: %d", n)
	}
}
