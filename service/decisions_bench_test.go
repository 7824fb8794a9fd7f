package service

import (
	"context"
	"fmt"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

const benchRecordsConfig = `
oms: {mode: sim}
store: {dir: unused}
rules:
  default_to: [log]
  routes:
    - name: noise
      match: {types: [oms.step.progress_changed]}
      drop: true
    - name: high
      match: {types: [oms.step.*]}
      when: 'project.Importance == "HIGH"'
      to: [log]
    - name: steps
      match: {types: [oms.step.*, oms.alarm.*]}
      to: [log]
`

// BenchmarkPipelineRecords is what the decision records cost a change on
// its way: the pipeline (rules, the routing header, the outbox publish),
// then the dispatcher delivering to the log target (discarded) and storing
// a delivery record per attempt, until every event is delivered and every
// record stored. without_records is the baseline in the same run (no
// routing header, no delivery records). Changes of 4 events: a progress
// (dropped), a status change (two routes match), an error, an alarm.
func BenchmarkPipelineRecords(b *testing.B) {
	for _, tc := range []struct {
		name    string
		records bool
	}{{"without_records", false}, {"with_records", true}} {
		b.Run(tc.name, func(b *testing.B) { benchPipelineRecords(b, tc.records) })
	}
}

func benchPipelineRecords(b *testing.B, records bool) {
	ctx := context.Background()
	_, js := proctest.StartEmbeddedNATS(b, b.TempDir())
	cfg, err := config.Load([]byte(benchRecordsConfig), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	d, err := newDelivery(ctx, cfg, js, deliveryOptions{stdout: discard{}, logFormat: "json", red: &secret.Redactor{},
		log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	d.pipe.noRecords, d.dispOpts.NoRecords = !records, !records
	if err := d.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	snap := snapshotFile(b, "old.json")
	types := []string{event.TypeStepProgressChanged, event.TypeStepStatusChanged, event.TypeStepErrorRaised, event.TypeAlarmTriggered}
	n := 0
	b.ResetTimer()
	cpu0 := benchCPU()
	for b.Loop() {
		c := poller.Change{Source: "oms://cn-hangzhou", Project: snap.ID(), Time: time.Now(), Previous: snap}
		for _, typ := range types {
			n++
			c.Events = append(c.Events, event.Event{ID: event.NewID(c.Source, c.Project, typ, "", fmt.Sprint(n)),
				Source: c.Source, Type: typ, Subject: c.Project, Time: c.Time, Severity: event.Warning,
				Data: event.Data{Project: event.Project{ID: c.Project, Name: "orders", Status: "RUNNING", Importance: "HIGH"},
					Fields: map[string]any{"step": "FULL_TRANSFER", "phase": "full"}}})
		}
		if err := d.Handler().Handle(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.StopDispatcher(ctx); err != nil { // delivers everything, stores the last records
		b.Fatal(err)
	}
	cpu := benchCPU() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/event")
	streamBytes := func(name string) uint64 {
		st, err := js.Stream(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return info.State.Bytes
	}
	audit, decisions := streamBytes(sinks.DefaultStream), streamBytes(sinks.DefaultDecisionStream)
	b.ReportMetric(float64(audit)/float64(n)*1000/1024, "audit-KiB/1000ev")
	b.ReportMetric(float64(decisions)/float64(n)*1000/1024, "records-KiB/1000ev")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
