package sinks_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/sinktest"
)

// testEvent is event i of a project, with a deterministic id.
func testEvent(project string, i int) event.Event {
	src := "oms://cn-hangzhou"
	return event.Event{
		ID:     event.NewID(src, project, event.TypeStepProgressChanged, "FULL", fmt.Sprint(i)),
		Source: src, Type: event.TypeStepProgressChanged, Subject: project,
		Time: time.Date(2026, 11, 24, 10, 0, i, 0, time.UTC), Severity: event.Info,
		Data: event.Data{
			Project: event.Project{ID: project, Name: "orders " + project, Status: "RUNNING"},
			Fields:  map[string]any{"step": "FULL", "phase": "full", "from": i, "to": i + 1},
			Changes: []event.Change{{Op: "replace", Path: "/Steps/FULL/Progress", Value: i + 1}},
		},
	}
}

// entries are n events of a project, each delivered to targets.
func entries(project string, from, n int, targets ...string) []sinks.Entry {
	var out []sinks.Entry
	for i := from; i < from+n; i++ {
		e := testEvent(project, i)
		en := sinks.Entry{Event: e}
		for _, t := range targets {
			en.Deliveries = append(en.Deliveries, sinks.Delivery{Event: e, Target: t, RouteIndex: -1})
		}
		out = append(out, en)
	}
	return out
}

func newOutbox(t *testing.T, js jetstream.JetStream) *sinks.Outbox {
	t.Helper()
	ob, err := sinks.NewOutbox(t.Context(), js, sinks.OutboxOptions{MaxAge: time.Hour, DedupWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return ob
}

// recorder is a Sink that records what it was sent and fails while told to.
type recorder struct {
	mu     sync.Mutex
	ids    []string
	calls  int
	failed int // events of the calls that failed
	fail   func(call int) error
}

func (r *recorder) Send(_ context.Context, n sinks.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail != nil {
		if err := r.fail(r.calls); err != nil {
			r.failed += len(n.Events)
			return err
		}
	}
	for _, e := range n.Events {
		r.ids = append(r.ids, e.ID)
	}
	return nil
}

func (r *recorder) failedEvents() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

// waitFor polls cond until it holds or the test's time runs out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ids(es []sinks.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Event.ID
	}
	return out
}

func startServer(t *testing.T) (*sinktest.Server, jetstream.JetStream) {
	t.Helper()
	s := sinktest.StartNATS(t, 0)
	_, js := sinktest.Connect(t, s)
	return s, js
}

func streamMsgs(t *testing.T, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	st, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

type atomicBool struct {
	mu sync.Mutex
	v  bool
}

func (b *atomicBool) set(v bool) { b.mu.Lock(); b.v = v; b.mu.Unlock() }
func (b *atomicBool) get() bool  { b.mu.Lock(); defer b.mu.Unlock(); return b.v }
