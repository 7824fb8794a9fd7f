package natssink_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/natssink"
	"github.com/omswatch/omswatch/sinks/sinktest"
)

// Issue 18, point 5, end to end: a subject template that cannot make a
// valid subject of one event type (step events have a .Data.step, alarm
// events do not) costs only those events: a subscriber receives every
// other event exactly once, and each of those is dead-lettered alone.
func TestAnEventWithoutASubjectDoesNotTakeItsNeighbours(t *testing.T) {
	for _, js := range []bool{false, true} {
		t.Run(fmt.Sprintf("jetstream=%v", js), func(t *testing.T) {
			srv := sinktest.StartNATS(t, 0)
			nc, jsc := sinktest.Connect(t, srv)
			ob, err := sinks.NewOutbox(t.Context(), jsc, sinks.OutboxOptions{MaxAge: time.Hour, DedupWindow: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			cfg := natssink.Config{Subject: setting.Template{Text: "alerts.{{.Type}}.{{.Data.step}}"}, JetStream: js}
			if js {
				if _, err := jsc.CreateStream(t.Context(), jetstream.StreamConfig{Name: "USER", Subjects: []string{"alerts.>"}}); err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			got := map[string]int{}
			sub, err := nc.Subscribe("alerts.>", func(m *nats.Msg) {
				mu.Lock()
				got[m.Header.Get("Nats-Msg-Id")]++
				mu.Unlock()
			})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe()
			s, err := natssink.New(cfg, nc)
			if err != nil {
				t.Fatal(err)
			}
			d, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: ob, BatchSize: 16, Targets: []sinks.Target{{Name: "bus", Sink: s}}})
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var es []sinks.Entry
			for i := range 60 {
				e := sampleEvent(fmt.Sprint("orders ", i))
				if i%3 == 1 {
					e.Type, e.Data.Fields = event.TypeAlarmCleared, map[string]any{"count": 0}
				}
				e.ID = event.NewID(e.Source, e.Subject, e.Type, "", fmt.Sprint(i))
				es = append(es, sinks.Entry{Event: e, Deliveries: []sinks.Delivery{{Event: e, Target: "bus", RouteIndex: -1}}})
			}
			if err := ob.Publish(t.Context(), es); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if err := d.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			refused := 0
			for _, en := range es {
				want := 1
				if en.Event.Type == event.TypeAlarmCleared {
					want = 0
					refused++
				}
				if n := got[en.Event.ID]; n != want {
					t.Errorf("%s %s received %d times, want %d", en.Event.Type, en.Event.ID, n, want)
				}
			}
			st, _ := jsc.Stream(t.Context(), sinks.DefaultDeadLetterStream)
			info, err := st.Info(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if info.State.Msgs != uint64(refused) {
				t.Errorf("%d dead letters, want %d", info.State.Msgs, refused)
			}
		})
	}
}
