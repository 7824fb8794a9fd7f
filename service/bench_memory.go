package service

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/omswatch/omswatch/poller"
)

// MemoryAtPeak is where the process's memory was when its resident set
// was highest, as the Go runtime counts it (runtime/metrics), so that a
// load run says what its peak RSS is made of.
type MemoryAtPeak struct {
	RSS int64 // resident set (bytes), from /proc/self/statm
	// After is when, from the start of the run.
	After time.Duration
	// Heap is the heap's objects, live and not yet collected; Live what the
	// last collection found live; Goal the size at which the next starts.
	Heap, Live, Goal int64
	// Free is heap memory free but not yet returned to the system.
	Free int64
	// Stacks and Runtime are goroutine stacks and the runtime's own
	// structures.
	Stacks, Runtime int64
}

var memorySamples = []string{
	"/memory/classes/heap/objects:bytes", "/gc/heap/live:bytes", "/gc/heap/goal:bytes",
	"/memory/classes/heap/free:bytes", "/memory/classes/heap/stacks:bytes", "/memory/classes/os-stacks:bytes",
	"/memory/classes/metadata/other:bytes", "/memory/classes/metadata/mspan/inuse:bytes",
	"/memory/classes/metadata/mcache/inuse:bytes", "/memory/classes/other:bytes", "/memory/classes/profiling/buckets:bytes",
}

// peakSampler samples the resident set every interval and keeps the
// runtime's breakdown at the highest one.
type peakSampler struct {
	start time.Time
	mu    sync.Mutex
	peak  MemoryAtPeak
	buf   []rtmetrics.Sample
}

func newPeakSampler() *peakSampler {
	s := &peakSampler{start: time.Now(), buf: make([]rtmetrics.Sample, len(memorySamples))}
	for i, name := range memorySamples {
		s.buf[i].Name = name
	}
	return s
}

// run samples until ctx ends.
func (s *peakSampler) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *peakSampler) sample() {
	rss := residentBytes()
	s.mu.Lock()
	defer s.mu.Unlock()
	if rss <= s.peak.RSS {
		return
	}
	rtmetrics.Read(s.buf)
	v := func(i int) int64 {
		if s.buf[i].Value.Kind() != rtmetrics.KindUint64 {
			return 0
		}
		return int64(s.buf[i].Value.Uint64())
	}
	s.peak = MemoryAtPeak{RSS: rss, After: time.Since(s.start).Round(time.Second), Heap: v(0), Live: v(1), Goal: v(2), Free: v(3), Stacks: v(4) + v(5),
		Runtime: v(6) + v(7) + v(8) + v(9) + v(10)}
}

func (s *peakSampler) result() MemoryAtPeak {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// residentBytes is the process's resident set, 0 where /proc is not.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

// Details are the lines a report adds to its figures, each ending in a
// newline: what the memory was made of at its peak, and the first changes
// never seen.
func (r BenchReport) Details() string {
	var lines []string
	if m := r.AtPeak; m.RSS > 0 {
		mb := func(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }
		lines = append(lines, fmt.Sprintf("at peak rss     %s after %s: heap %s (live %s at the last collection, next at %s), free heap not returned %s, stacks %s, runtime %s",
			mb(m.RSS), m.After, mb(m.Heap), mb(m.Live), mb(m.Goal), mb(m.Free), mb(m.Stacks), mb(m.Runtime)))
	}
	if len(r.ToOutbox) > 0 && len(r.FromOutbox) > 0 {
		ms := func(d []time.Duration, p float64) time.Duration { return percentile(d, p).Round(time.Millisecond) }
		lines = append(lines, fmt.Sprintf("latency split   to the outbox p50 %s  p99 %s; outbox to NATS p50 %s  p99 %s",
			ms(r.ToOutbox, .5), ms(r.ToOutbox, .99), ms(r.FromOutbox, .5), ms(r.FromOutbox, .99)))
	}
	if r.Unseen > 0 {
		if cycle := r.cycle(); r.settle() < cycle {
			lines = append(lines, fmt.Sprintf("note            --settle %s is shorter than a poll cycle (%s with its jitter): a change made after "+
				"the last cycle began cannot be seen in time; give --settle more than %s", r.settle(), cycle, cycle))
		}
		if pass := r.pass(); pass > r.cycle() {
			lines = append(lines, fmt.Sprintf("note            a pass over the fleet took about %s (%d projects at %.1f polls/s), longer than a poll cycle (%s): "+
				"a change undone before its project's next read (an alarm raised and cleared between two), or made after the last "+
				"pass began, cannot be seen (docs/PERFORMANCE.md: what a pass of a given length can see)",
				pass, r.Options.Projects, float64(r.Polls)/r.Wall.Seconds(), r.cycle()))
		}
	}
	for _, c := range r.UnseenExamples {
		lines = append(lines, fmt.Sprintf("never seen      %s changed at %s (simulator tick %d)", c.Project, c.Time.UTC().Format(time.TimeOnly), c.Tick))
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// pass is about how long the service took to poll every project once, at
// the run's rate (0 without polls).
func (r BenchReport) pass() time.Duration {
	if r.Polls == 0 || r.Wall <= 0 {
		return 0
	}
	return time.Duration(float64(r.Options.Projects) * r.Wall.Seconds() / float64(r.Polls) * float64(time.Second)).Round(time.Second)
}

// settle is the catching up the run allowed.
func (r BenchReport) settle() time.Duration { return cmp.Or(r.Options.Settle, 3*time.Minute) }

// cycle is the longest wait for a project's next poll: the schedule's
// interval and its jitter (0 when the schedule does not parse).
func (r BenchReport) cycle() time.Duration {
	s, err := poller.ParseSpec(r.Options.Schedule)
	if err != nil {
		return 0
	}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	next := s.Next(t)
	return s.Next(next).Sub(next) + r.Options.Jitter
}
