package alertmanager_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/alertmanager"
	"github.com/omswatch/omswatch/sinks/sinktest"
)

// deadLetters counts the dead letters and returns the first one's reason.
func deadLetters(t *testing.T, js jetstream.JetStream) (uint64, string) {
	t.Helper()
	st, err := js.Stream(t.Context(), sinks.DefaultDeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs == 0 {
		return 0, ""
	}
	m, err := st.GetMsg(t.Context(), info.State.FirstSeq)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs, m.Header.Get(sinks.HeaderReason)
}

// A 400 is Alertmanager refusing the alert for good: the event is posted
// once and dead-lettered with the answer as its reason, without the URL's
// credentials; the other incidents' alerts go through.
func TestA400IsDeadLettered(t *testing.T) {
	srv := sinktest.StartNATS(t, 0)
	_, js := sinktest.Connect(t, srv)
	ob, err := sinks.NewOutbox(t.Context(), js, sinks.OutboxOptions{MaxAge: time.Hour, DedupWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	am := newFakeAM(t)
	refusedPosts := 0
	am.answer = func(_ int, alerts []alertmanager.Alert) (int, string) {
		if alerts[0].Labels["incident"] == "inc-bad" {
			refusedPosts++
			return 400, ""
		}
		return 0, ""
	}
	hs := httptest.NewServer(am)
	defer hs.Close()
	now := clock
	s := newSink(t, hs.URL, &now)
	d, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: ob, BatchSize: 16, Targets: []sinks.Target{{Name: "am", Sink: s}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var es []sinks.Entry
	for _, e := range append(lifecycle("inc-ok")[:1], lifecycle("inc-bad")[:1]...) {
		es = append(es, sinks.Entry{Event: e, Deliveries: []sinks.Delivery{{Event: e, Target: "am", RouteIndex: -1}}})
	}
	if err := ob.Publish(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	n, reason := deadLetters(t, js)
	am.mu.Lock()
	defer am.mu.Unlock()
	if n != 1 || refusedPosts != 1 || am.triggers["inc-ok"] != 1 {
		t.Errorf("%d dead letters after %d refused posts, inc-ok fired %d times; want 1, 1, 1", n, refusedPosts, am.triggers["inc-ok"])
	}
	if !strings.Contains(reason, "alertmanager am: 400 Bad Request") || strings.Contains(reason, "basic-auth-secret") {
		t.Errorf("dead letter reason %q", reason)
	}
}
