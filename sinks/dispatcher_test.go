package sinks_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/sinktest"
)

func startDispatcher(t *testing.T, o sinks.DispatcherOptions) *sinks.Dispatcher {
	t.Helper()
	d, err := sinks.NewDispatcher(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// A crash between the outbox publish and the snapshot update makes the
// poller hand the same change off again: same event ids, stored once, and
// delivered once.
func TestRepublishAfterCrashStoresAndDeliversOnce(t *testing.T) {
	srv := sinktest.StartNATS(t, 0)
	_, js := sinktest.Connect(t, srv)
	ob := newOutbox(t, js)
	rec := &recorder{}
	d := startDispatcher(t, sinks.DispatcherOptions{Outbox: ob, Targets: []sinks.Target{{Name: "t", Sink: rec}}})
	es := entries("np_1", 0, 5, "t")
	if err := ob.Publish(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	// "Crash": a new process (connection, outbox) publishes the same change.
	_, js2 := sinktest.Connect(t, srv)
	if err := newOutbox(t, js2).Publish(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	if n := streamMsgs(t, js, sinks.DefaultStream); n != 5 {
		t.Fatalf("stream holds %d messages, want 5", n)
	}
	if err := d.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := rec.got(); !slices.Equal(got, ids(es)) {
		t.Fatalf("delivered %v, want %v", got, ids(es))
	}
}

// A target that is down holds its own backlog; the other keeps flowing,
// and once back the first gets everything in order.
func TestTargetDownHoldsItsBacklogOnly(t *testing.T) {
	_, js := startServer(t)
	ob := newOutbox(t, js)
	up := &recorder{}
	var down atomicBool
	down.set(true)
	flaky := &recorder{fail: func(int) error {
		if down.get() {
			return errors.New("connection refused")
		}
		return nil
	}}
	startDispatcher(t, sinks.DispatcherOptions{Outbox: ob, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		MaxAttempts: 1000, BatchSize: 3, Targets: []sinks.Target{{Name: "up", Sink: up}, {Name: "flaky", Sink: flaky}}})
	es := entries("np_1", 0, 20, "up", "flaky")
	for i := range es {
		if err := ob.Publish(t.Context(), es[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the healthy target", func() bool { return len(up.got()) == 20 })
	if n := len(flaky.got()); n != 0 {
		t.Fatalf("the failing target delivered %d", n)
	}
	down.set(false)
	waitFor(t, "the recovered target", func() bool { return len(flaky.got()) == 20 })
	if !slices.Equal(flaky.got(), ids(es)) || !slices.Equal(up.got(), ids(es)) {
		t.Fatalf("order lost:\n%v\n%v", flaky.got(), up.got())
	}
}

// Failures go to the dead-letter stream with the reason: at once when
// permanent, after MaxAttempts otherwise; secrets never appear in it.
func TestDeadLetters(t *testing.T) {
	const token = "xoxb-very-secret-token"
	cases := []struct {
		name      string
		err       error
		wantCalls int
		attempts  string
	}{
		{"permanent", sinks.Permanent(errors.New("invalid_auth for " + token)), 1, "1"},
		{"transient", errors.New("503 from " + token), 3, "3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, js := startServer(t)
			ob := newOutbox(t, js)
			rec := &recorder{fail: func(int) error { return tc.err }}
			red := &secret.Redactor{}
			red.Add(secret.New(token))
			d := startDispatcher(t, sinks.DispatcherOptions{Outbox: ob, MaxAttempts: 3, InitialBackoff: time.Millisecond,
				Redactor: red, Targets: []sinks.Target{{Name: "chat", Sink: rec}}})
			es := entries("np_1", 0, 1, "chat")
			if err := ob.Publish(t.Context(), es); err != nil {
				t.Fatal(err)
			}
			if err := d.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			if rec.calls != tc.wantCalls {
				t.Errorf("%d calls, want %d", rec.calls, tc.wantCalls)
			}
			m := lastMsg(t, js, sinks.DefaultDeadLetterStream)
			if m.Subject != "omswatch.deadletter.chat" || m.Header.Get(sinks.HeaderAttempts) != tc.attempts {
				t.Errorf("dead letter %s attempts %s", m.Subject, m.Header.Get(sinks.HeaderAttempts))
			}
			reason := m.Header.Get(sinks.HeaderReason)
			if strings.Contains(reason, token) || !strings.Contains(reason, secret.Mask) {
				t.Errorf("reason %q", reason)
			}
			e, err := sinks.DecodeEvent(m.Data)
			if err != nil || e.ID != es[0].Event.ID {
				t.Errorf("dead letter body: %v %v", e.ID, err)
			}
			if n := streamMsgs(t, js, sinks.DefaultDeadLetterStream); n != 1 {
				t.Errorf("%d dead letters, want 1", n)
			}
		})
	}
}

func lastMsg(t *testing.T, js jetstream.JetStream, stream string) *jetstream.RawStreamMsg {
	t.Helper()
	st, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(t.Context(), ">")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// holdGrouper holds everything until Flush (a group_wait longer than the
// test): the messages must stay unacknowledged but not be redelivered
// while held, and be redelivered to the next process after a crash.
type holdGrouper struct{ ds []sinks.Delivery }

func (h *holdGrouper) Add(_ time.Time, ds []sinks.Delivery) { h.ds = append(h.ds, ds...) }
func (h *holdGrouper) Due(time.Time) []sinks.Notification   { return nil }
func (h *holdGrouper) Next() (time.Time, bool)              { return time.Time{}, false }
func (h *holdGrouper) Flush() []sinks.Notification {
	n := sinks.Notification{Group: []sinks.GroupLabel{{Name: "all"}}}
	for _, d := range h.ds {
		n.Events = append(n.Events, d.Event)
	}
	h.ds = nil
	if len(n.Events) == 0 {
		return nil
	}
	return []sinks.Notification{n}
}

func TestHeldMessagesSurviveAckWaitAndACrash(t *testing.T) {
	_, js := startServer(t)
	ob := newOutbox(t, js)
	first := &recorder{}
	ctx, cancel := context.WithCancel(t.Context())
	d1, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: ob, AckWait: 2 * time.Second,
		Targets: []sinks.Target{{Name: "chat", Sink: first, Grouper: &holdGrouper{}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	es := entries("np_1", 0, 4, "chat")
	if err := ob.Publish(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4500 * time.Millisecond) // 2.25 AckWaits: in-progress acks keep them
	cons, err := js.Consumer(t.Context(), sinks.DefaultStream, sinks.ConsumerName("chat"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending != 4 || info.NumRedelivered != 0 {
		t.Fatalf("while held: %d pending, %d redelivered", info.NumAckPending, info.NumRedelivered)
	}
	cancel() // crash: nothing delivered, nothing acknowledged
	d1.Close()
	second := &recorder{}
	d2 := startDispatcher(t, sinks.DispatcherOptions{Outbox: ob, AckWait: 2 * time.Second,
		Targets: []sinks.Target{{Name: "chat", Sink: second, Grouper: &holdGrouper{}}}})
	if err := d2.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := second.got(); !slices.Equal(got, ids(es)) || len(first.got()) != 0 {
		t.Fatalf("after the crash delivered %v (before %v), want %v", got, first.got(), ids(es))
	}
}
