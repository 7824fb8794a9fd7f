package service

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
)

// What the observation log adds to a hand-off, against the baseline of
// the same pipeline without it (on an embedded NATS): a change of
// telemetry only, which waits in memory, and a change with events, whose
// record is written beside them.
//
//	go test ./service -run '^$' -bench ObservationLog -benchtime 2000x
func BenchmarkObservationLog(b *testing.B) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 11, Projects: 2, Step: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	id := g.IDs()[1]
	base := simSnapshot(b, g, id, 30)
	failed, err := oms.Canonicalize(withStatus(base.Tree(), "FAILED"))
	if err != nil {
		b.Fatal(err)
	}
	for _, change := range []struct {
		name string
		// next is the snapshot of hand-off i.
		next func(i int) *oms.Snapshot
	}{
		{"telemetry", func(i int) *oms.Snapshot { return withDelay(b, base, int64(i)) }},
		{"status change", func(i int) *oms.Snapshot { return [2]*oms.Snapshot{base, failed}[i%2] }},
	} {
		for _, log := range []string{"without log (baseline)", "with log"} {
			b.Run(change.name+"/"+log, func(b *testing.B) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				d, _, _ := startDelivery(ctx, b, backtestRules("480s", "2m"))
				if log != "with log" {
					d.pipe.record = nil
				}
				t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				prev := base
				b.ResetTimer()
				for i := range b.N {
					cur := change.next(i + 1)
					c := poller.Change{Source: "oms://r", Project: id, Time: t0.Add(time.Duration(i) * 30 * time.Second),
						Previous: prev, Current: cur}
					if err := d.pipe.Handle(ctx, c); err != nil {
						b.Fatal(err)
					}
					prev = cur
				}
			})
		}
	}
}

func withStatus(tree map[string]any, status string) map[string]any {
	out := map[string]any{}
	for k, v := range tree {
		out[k] = v
	}
	out["Status"] = status
	return out
}

// What an observation that decided nothing holds while it waits in
// memory (up to idleFlush of them a project): heap bytes per waiting
// observation after a collection, 1,000 projects with 10 telemetry
// changes each.
//
//	go test ./service -run '^$' -bench WaitingObservationMemory -benchtime 1x
func BenchmarkWaitingObservationMemory(b *testing.B) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 11, Projects: 1000, Step: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	d, _, _ := startDelivery(ctx, b, backtestRules("480s", "2m"))
	const changes = 10
	bases := make([]*oms.Snapshot, len(g.IDs()))
	for i, id := range g.IDs() {
		bases[i] = simSnapshot(b, g, id, 30)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		r := newRecorder(d.pipe.outbox)
		for i, id := range g.IDs() { // each chain starts with a whole snapshot
			c := poller.Change{Source: "oms://r", Project: id, Time: t0, Current: bases[i]}
			if err := r.Record(ctx, c, rules.Outcome{}); err != nil {
				b.Fatal(err)
			}
		}
		before := heapInUse()
		for n := range changes {
			for i, id := range g.IDs() {
				prev, cur := withDelay(b, bases[i], int64(n)), withDelay(b, bases[i], int64(n+1))
				if n == 0 {
					prev = bases[i]
				}
				c := poller.Change{Source: "oms://r", Project: id, Time: t0.Add(time.Duration(n+1) * 30 * time.Second),
					Previous: prev, Current: cur}
				if err := r.Record(ctx, c, rules.Outcome{}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(heapInUse()-before)/float64(changes*len(g.IDs())), "bytes/waiting")
		runtime.KeepAlive(r)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
