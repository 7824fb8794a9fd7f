package service

import (
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms/omssim"
)

// The sampler keeps the runtime's breakdown of the highest resident set,
// and a report says it with the first changes never seen.
func TestBenchReportSaysWhereThePeakWent(t *testing.T) {
	s := newPeakSampler()
	s.sample()
	m := s.result()
	if m.RSS <= 0 || m.Heap <= 0 || m.Goal <= 0 || m.Stacks <= 0 || m.Runtime <= 0 {
		t.Fatalf("sampled %+v; want the resident set and the runtime's figures", m)
	}
	ballast := make([]byte, 64<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	s.sample()
	if got := s.result(); got.RSS < m.RSS+32<<20 {
		t.Errorf("after 64 MB more resident, the peak is %d bytes (was %d)", got.RSS, m.RSS)
	}
	_ = ballast[len(ballast)-1]
	at := time.Date(2026, 12, 7, 13, 12, 32, 0, time.UTC)
	r := BenchReport{AtPeak: MemoryAtPeak{RSS: 300 << 20, After: 90 * time.Second, Heap: 150 << 20, Live: 100 << 20, Goal: 160 << 20, Free: 40 << 20, Stacks: 2 << 20, Runtime: 10 << 20},
		ToOutbox: []time.Duration{time.Millisecond, 3 * time.Millisecond}, FromOutbox: []time.Duration{2 * time.Millisecond},
		UnseenExamples: []omssim.StateChange{{Project: "np_1", Tick: 12, Time: at}}}
	want := "at peak rss     300 MB after 1m30s: heap 150 MB (live 100 MB at the last collection, next at 160 MB), free heap not returned 40 MB, stacks 2 MB, runtime 10 MB\n" +
		"latency split   to the outbox p50 3ms  p99 3ms; outbox to NATS p50 2ms  p99 2ms\n" +
		"never seen      np_1 changed at 13:12:32 (simulator tick 12)\n"
	if got := r.Details(); got != want {
		t.Errorf("details:\n%s\nwant:\n%s", got, want)
	}
	// A run whose passes over the fleet were longer than its cycle says
	// what that cannot see.
	slow := BenchReport{Options: BenchOptions{Projects: 100000, Schedule: "@every 30s", Settle: 3 * time.Minute},
		Wall: 500 * time.Second, Polls: 234000, Unseen: 12576}
	if got, want := slow.Details(), "note            a pass over the fleet took about 3m34s (100000 projects at 468.0 polls/s), longer than a poll cycle (30s): "; !strings.HasPrefix(got, want) {
		t.Errorf("details of a slow run:\n%s\nwant them to start:\n%s", got, want)
	}
	if fast := (BenchReport{Options: BenchOptions{Projects: 10000, Schedule: "@every 60s", Jitter: 30 * time.Second},
		Wall: 345 * time.Second, Polls: 54547, Unseen: 1}); strings.Contains(fast.Details(), "a pass over the fleet") {
		t.Errorf("a run whose passes fit its cycle says they did not:\n%s", fast.Details())
	}
	if got := (BenchReport{}).Details(); strings.TrimSpace(got) != "" {
		t.Errorf("a report without a sample or unseen change adds %q", got)
	}
}

func TestEventHeadReadsTheAttributesBeforeTheData(t *testing.T) {
	at := time.Date(2026, 12, 7, 13, 0, 0, 123, time.UTC)
	e := event.Event{ID: "0123abcd", Source: "oms://cn-hangzhou", Type: event.TypeProjectDiscovered, Subject: "np_1", Time: at,
		Data: event.Data{Project: event.Project{ID: "np_1"}, Fields: map[string]any{"id": "not this", "time": "nor this"}}}
	b, err := e.JSON()
	if err != nil {
		t.Fatal(err)
	}
	got, ok := eventHead(b)
	if !ok || got.ID != "0123abcd" || got.Subject != "np_1" || !got.Time.Equal(at) {
		t.Errorf("eventHead = %+v, %v", got, ok)
	}
	if _, ok := eventHead([]byte(`{"data":{"id":"x"}}`)); ok {
		t.Error("an event without attributes was read")
	}
}

// A run whose settling is shorter than a cycle says why changes went unseen.
func TestBenchReportSaysASettleTooShort(t *testing.T) {
	r := BenchReport{Options: BenchOptions{Schedule: "@every 60s", Jitter: 30 * time.Second, Settle: 30 * time.Second}, Unseen: 44}
	if got := r.Details(); !strings.Contains(got, "--settle 30s is shorter than a poll cycle (1m30s with its jitter)") {
		t.Errorf("details %q do not say the settling was too short", got)
	}
	r.Options.Settle = 3 * time.Minute
	if got := r.Details(); strings.Contains(got, "shorter") {
		t.Errorf("details %q blame a settling long enough", got)
	}
}
