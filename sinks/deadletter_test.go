package sinks_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// drain delivers what the outbox holds now, within 30 s.
func drain(t *testing.T, d *sinks.Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}

// Issue 15, point 4: a dead letter is listed with its target, reason and
// attempts; resent once the target works again, it is delivered once
// (only to its target) and listed as resent; resent while the target
// still fails, it is dead-lettered again, as a dead letter of its own that
// names the one it was resent from. For in-order and grouped targets.
func TestResendDeliversADeadLetterOnce(t *testing.T) {
	for _, grouped := range []bool{false, true} {
		name := map[bool]string{false: "in order", true: "grouped"}[grouped]
		t.Run(name, func(t *testing.T) {
			_, js := startServer(t)
			ob := newOutbox(t, js)
			var down atomicBool
			down.set(true)
			hook := &recorder{fail: func(int) error {
				if down.get() {
					return sinks.Permanent(errors.New("401 Unauthorized: token revoked"))
				}
				return nil
			}}
			other := &recorder{}
			d := startDispatcher(t, sinks.DispatcherOptions{Outbox: ob, InitialBackoff: time.Millisecond,
				Grouping: sinks.GroupOptions{By: []string{"project"}},
				Targets:  []sinks.Target{{Name: "hook", Sink: hook, Grouped: grouped}, {Name: "other", Sink: other}}})
			es := entries("np_1", 0, 2, "hook")
			if err := ob.Publish(t.Context(), es); err != nil {
				t.Fatal(err)
			}
			drain(t, d)
			q := sinks.DeadLetterQuery{Target: "hook"}
			dls, err := sinks.DeadLetters(t.Context(), js, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(dls) != 2 {
				t.Fatalf("%d dead letters, want 2", len(dls))
			}
			for i, dl := range dls {
				if dl.Event.ID != es[i].Event.ID || dl.Target != "hook" || dl.Attempts != 1 ||
					dl.Reason != "401 Unauthorized: token revoked" || dl.Time.IsZero() || len(dl.Resent) != 0 {
					t.Errorf("dead letter %d: %+v", i, dl)
				}
			}

			down.set(false) // the token is rotated
			if err := sinks.Resend(t.Context(), js, q, dls[0]); err != nil {
				t.Fatal(err)
			}
			drain(t, d)
			if got := hook.got(); !slices.Equal(got, []string{es[0].Event.ID}) {
				t.Errorf("after the resend the target got %v, want the resent event once", got)
			}
			if got := other.got(); len(got) != 0 {
				t.Errorf("another target got %v; a resend is for its own target only", got)
			}

			down.set(true) // resent before the cause is fixed
			if err := sinks.Resend(t.Context(), js, q, dls[1]); err != nil {
				t.Fatal(err)
			}
			drain(t, d)
			dls, err = sinks.DeadLetters(t.Context(), js, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(dls) != 3 {
				t.Fatalf("%d dead letters after a failed resend, want 3", len(dls))
			}
			if len(dls[0].Resent) != 1 || len(dls[1].Resent) != 1 {
				t.Errorf("resends recorded: %v and %v, want one each", dls[0].Resent, dls[1].Resent)
			}
			again := dls[2]
			if again.Event.ID != es[1].Event.ID || again.Requeue != sinks.RequeueResend || again.RequeueOf != dls[1].Seq {
				t.Errorf("the failed resend's dead letter: %+v; want event %s resent from %d", again, es[1].Event.ID, dls[1].Seq)
			}
			if latest := sinks.Latest(dls); len(latest) != 2 || latest[1].Seq != again.Seq {
				t.Errorf("Latest kept %d dead letters; want the first and the newest of the second event", len(latest))
			}
		})
	}
}

// A critical event's dead letter also goes to the fallback target; not an
// info one, nor a critical one the fallback gets anyway, nor the
// fallback's own dead letters.
func TestCriticalDeadLettersGoToTheFallback(t *testing.T) {
	_, js := startServer(t)
	ob := newOutbox(t, js)
	refuse := func(int) error { return sinks.Permanent(errors.New("channel_not_found")) }
	slack, pager := &recorder{fail: refuse}, &recorder{}
	d := startDispatcher(t, sinks.DispatcherOptions{Outbox: ob, InitialBackoff: time.Millisecond, FallbackTo: "pager",
		Targets: []sinks.Target{{Name: "slack", Sink: slack}, {Name: "pager", Sink: pager}}})
	es := entries("np_1", 0, 3, "slack")
	for i := range es {
		sev := []event.Severity{event.Critical, event.Info, event.Critical}[i]
		es[i].Event.Severity, es[i].Deliveries[0].Event.Severity = sev, sev
	}
	es[2].Deliveries = append(es[2].Deliveries, sinks.Delivery{Event: es[2].Event, Target: "pager", RouteIndex: -1})
	if err := ob.Publish(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	drain(t, d)
	drain(t, d) // the fallback was published while draining
	if got, want := pager.got(), []string{es[2].Event.ID, es[0].Event.ID}; !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("the fallback target got %v, want %v (the critical one it was not sent, and its own)", got, want)
	}
	dls, err := sinks.DeadLetters(t.Context(), js, sinks.DeadLetterQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var fallbacks []string
	for _, dl := range dls {
		fallbacks = append(fallbacks, dl.FallbackTo)
	}
	if !slices.Equal(fallbacks, []string{"pager", "", ""}) {
		t.Errorf("dead letters' fallbacks %q, want only the first critical one's", fallbacks)
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// healthLog records what Health is told.
type healthLog struct {
	mu  sync.Mutex
	got []sinks.TargetHealth
}

func (h *healthLog) tell(_ context.Context, th sinks.TargetHealth) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, th)
}

// Issue 15, point 6: a target that fails longer than FailingAfter is told
// once, not once per retry, and its recovery once; a shorter run of
// failures is not told at all. The clock moves a minute per reading.
func TestTargetFailingIsToldOncePerOutage(t *testing.T) {
	refuseAll := func(n sinks.Notification) error {
		failed := map[string]error{}
		for _, e := range n.Events {
			failed[e.ID] = sinks.Permanent(errors.New("401 Unauthorized"))
		}
		return sinks.Partial(failed, nil)
	}
	cases := []struct {
		name     string
		fail     func(call int, n sinks.Notification) error
		after    time.Duration
		events   int
		want     []bool // Failing of each telling
		wantDead int
	}{
		{"retried for long, then delivered", func(c int, _ sinks.Notification) error {
			if c <= 8 {
				return errors.New("503 Service Unavailable")
			}
			return nil
		}, 5 * time.Minute, 1, []bool{true, false}, 0},
		{"dead-lettered one by one, then delivered", func(c int, _ sinks.Notification) error {
			if c <= 8 {
				return sinks.Permanent(errors.New("invalid_auth"))
			}
			return nil
		}, 5 * time.Minute, 10, []bool{true, false}, 8},
		{"every event refused (a webhook's 401s), then delivered", func(c int, n sinks.Notification) error {
			if c <= 8 {
				return refuseAll(n)
			}
			return nil
		}, 5 * time.Minute, 10, []bool{true, false}, 8},
		{"failing shorter than the threshold", func(c int, _ sinks.Notification) error {
			if c <= 3 {
				return errors.New("503 Service Unavailable")
			}
			return nil
		}, time.Hour, 1, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, js := startServer(t)
			ob := newOutbox(t, js)
			var mu sync.Mutex
			clock := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			now := func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Minute); return clock }
			h := &healthLog{}
			calls := 0 // the target's worker sends one at a time
			hook := sinks.SinkFunc(func(_ context.Context, n sinks.Notification) error { calls++; return tc.fail(calls, n) })
			d := startDispatcher(t, sinks.DispatcherOptions{Outbox: ob, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
				BatchSize: 1, Now: now, FailingAfter: tc.after, Health: h.tell, Targets: []sinks.Target{{Name: "hook", Sink: hook}}})
			if err := ob.Publish(t.Context(), entries("np_1", 0, tc.events, "hook")); err != nil {
				t.Fatal(err)
			}
			drain(t, d)
			h.mu.Lock()
			defer h.mu.Unlock()
			var got []bool
			for _, th := range h.got {
				got = append(got, th.Failing)
				if th.Target != "hook" || th.Since.IsZero() || !th.Time.After(th.Since) || (th.Failing && th.Error == "") {
					t.Errorf("told %+v", th)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("told failing %v, want %v", got, tc.want)
			}
			if n := len(deadLetters(t, js)); n != tc.wantDead {
				t.Errorf("%d dead letters, want %d", n, tc.wantDead)
			}
		})
	}
}
