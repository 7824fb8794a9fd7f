package natssink_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/natssink"
	"github.com/omswatch/omswatch/sinks/sinktest"
)

// BenchmarkOutboxToNATS measures delivery end to end on the embedded
// server: 8 handlers (the poller's concurrency) each hand off changes of 2
// events to the outbox (the audit stream, publish acks awaited), and the
// dispatcher delivers them to a NATS target publishing into a JetStream
// stream of the user's (asynchronous publishes, acks awaited). Latency runs
// from the hand-off (before Outbox.Publish) to the NATS target's ack.
// Targets from the issue: >= 20,000 events/s, p99 <= 20 ms.
func BenchmarkOutboxToNATS(b *testing.B) {
	srv := sinktest.StartNATS(b, 0)
	nc, js := sinktest.Connect(b, srv)
	ctx := context.Background()
	ob, err := sinks.NewOutbox(ctx, js, sinks.OutboxOptions{MaxAge: time.Hour, DedupWindow: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "USER", Subjects: []string{"oms.events.>"}}); err != nil {
		b.Fatal(err)
	}
	target, err := natssink.New(natssink.Config{JetStream: true, Stream: "USER"}, nc)
	if err != nil {
		b.Fatal(err)
	}
	lat := newLatencies(b.N + 2)
	sink := sinks.SinkFunc(func(ctx context.Context, n sinks.Notification) error {
		if err := target.Send(ctx, n); err != nil {
			return err
		}
		lat.acked(n.Events)
		return nil
	})
	d, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: ob, Targets: []sinks.Target{{Name: "events", Sink: sink}}})
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	const handlers, perChange = 8, 2
	changes := (b.N + perChange - 1) / perChange
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for h := range handlers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := h; c < changes; c += handlers {
				es := benchEntries(c, perChange)
				lat.handedOff(es)
				if err := ob.Publish(ctx, es); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	pub := time.Since(start)
	lat.wait(changes * perChange)
	b.Logf("published in %s", pub)
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	p50, p99 := lat.percentiles()
	b.ReportMetric(float64(changes*perChange)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	// CPU per event (this process: handlers, outbox, dispatcher, target
	// and the embedded server) says what two cores would sustain when the
	// machine is shared and wall-clock figures are not the code's.
	b.ReportMetric(float64(cpu.Microseconds())/float64(changes*perChange), "cpu-us/event")
	b.ReportMetric(0, "ns/op")
}

func benchEntries(change, n int) []sinks.Entry {
	out := make([]sinks.Entry, n)
	project := fmt.Sprintf("np_%06d", change%5000)
	for i := range out {
		e := sampleEvent("orders")
		e.Subject, e.Data.Project.ID = project, project
		e.ID = event.NewID(e.Source, project, e.Type, fmt.Sprint(i), fmt.Sprint(change))
		out[i] = sinks.Entry{Event: e, Deliveries: []sinks.Delivery{{Event: e, Target: "events", RouteIndex: -1}},
			Status: &sinks.ProjectStatus{ID: project, Name: "orders", Status: "RUNNING"}}
	}
	return out
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// latencies records hand-off and ack times by event id.
type latencies struct {
	mu    sync.Mutex
	start map[string]time.Time
	took  []time.Duration
	done  chan struct{}
	want  int
}

func newLatencies(n int) *latencies {
	return &latencies{start: make(map[string]time.Time, n), took: make([]time.Duration, 0, n), done: make(chan struct{}, 1)}
}

func (l *latencies) handedOff(es []sinks.Entry) {
	now := time.Now()
	l.mu.Lock()
	for _, e := range es {
		l.start[e.Event.ID] = now
	}
	l.mu.Unlock()
}

func (l *latencies) acked(es []event.Event) {
	now := time.Now()
	l.mu.Lock()
	for _, e := range es {
		l.took = append(l.took, now.Sub(l.start[e.ID]))
	}
	if l.want > 0 && len(l.took) >= l.want {
		select {
		case l.done <- struct{}{}:
		default:
		}
	}
	l.mu.Unlock()
}

func (l *latencies) wait(n int) {
	l.mu.Lock()
	l.want = n
	reached := len(l.took) >= n
	l.mu.Unlock()
	if !reached {
		<-l.done
	}
}

func (l *latencies) percentiles() (p50, p99 time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	slices.Sort(l.took)
	at := func(q float64) time.Duration { return l.took[min(len(l.took)-1, int(q*float64(len(l.took))))] }
	return at(0.50), at(0.99)
}
