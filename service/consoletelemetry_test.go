package service

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
)

// A restarted service charts the delay it saw before: the project page
// reads what its memory does not hold from the observation log, the
// snapshots rebuilt from the project's chain of records (a whole one,
// then patches that waited in memory and were written in batches) with
// the delays they had, at the times they were observed.
func TestConsoleChartsTheObservationLogAfterARestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	doc := "oms: {mode: sim}\nstore:\n  dir: unused\nhttp:\n  listen: 127.0.0.1:0\n"
	d, js, _ := startDelivery(ctx, t, doc)
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 11, Projects: 1, Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	const source = "oms://cn-hangzhou"
	id := g.IDs()[0]
	base := simSnapshot(t, g, id, 30)
	// Before the restart: a first sight 2h25m ago, then the delay moving
	// by a second every 10 minutes until 25 minutes ago (observations
	// that decide nothing, which wait and are written in batches).
	t0 := time.Now().UTC().Add(-145 * time.Minute).Truncate(time.Second)
	// Halfway, a replica that lost the project's lease flushes what
	// waited at its stop, after the new holder's first records: that
	// record is skipped, not taken for the chain breaking.
	lateRecord := func() {
		late := observation{Source: source, Project: id, Time: t0.Add(5 * time.Minute), Prev: "0123456789abcdef", Digest: "late",
			Patch: map[string]any{"Status": "FAILED"}}
		data, err := late.encode(&sync.Pool{})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.pipe.outbox.RecordObservation(ctx, source, id, data); err != nil {
			t.Fatal(err)
		}
	}
	var prev, last *oms.Snapshot
	for i := range int64(13) {
		last = withDelay(t, base, 10+i)
		c := poller.Change{Source: source, Project: id, Time: t0.Add(time.Duration(i) * 10 * time.Minute), Previous: prev, Current: last}
		if err := d.pipe.record.Record(ctx, c, rules.Outcome{}); err != nil {
			t.Fatal(err)
		}
		prev = last
		if i == 6 {
			if err := d.pipe.record.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			lateRecord()
		}
	}
	if err := d.pipe.record.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("snapshots rebuilt", func(t *testing.T) {
		var got []string
		err := observedTelemetry{js}.Snapshots(ctx, source, id, t0.Add(-time.Minute), time.Now(), 600, func(at time.Time, s *oms.Snapshot) {
			got = append(got, fmt.Sprintf("%s %s", at.Sub(t0), s.Project().SyncDelay))
		})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := range 13 {
			want = append(want, fmt.Sprintf("%s %s", time.Duration(i)*10*time.Minute, time.Duration(10+i)*time.Second))
		}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Errorf("rebuilt (time after the first, delay):\n got %s\nwant %s", strings.Join(got, ", "), strings.Join(want, ", "))
		}
		var n int
		err = observedTelemetry{js}.Snapshots(ctx, source, id, t0.Add(-time.Minute), time.Now(), 3, func(time.Time, *oms.Snapshot) { n++ })
		if err != nil || n > 3 {
			t.Errorf("at most 3 asked for: got %d (%v)", n, err)
		}
	})

	t.Run("project page", func(t *testing.T) {
		// The restarted service's console: it sees one sample itself.
		srv, cfg := consoleOver(ctx, t, doc, &Service{root: slog.New(slog.DiscardHandler), log: slog.New(slog.DiscardHandler), js: js, nc: js.Conn()})
		store, err := poller.NewKVStore(ctx, js, poller.KVOptions{Bucket: cfg.Store.Bucket})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Put(ctx, source, id, poller.Record{Snapshot: last, ObservedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		for !strings.Contains(get(t, srv.URL+"/"), id) {
			if ctx.Err() != nil {
				t.Fatal("the fleet page never showed the stored project")
			}
			time.Sleep(50 * time.Millisecond)
		}
		body := get(t, srv.URL+"/projects/"+id+"?window=6h")
		if want := "14 samples (13 from the observation log, before this omswatch's own)"; !strings.Contains(body, want) {
			t.Errorf("the chart's legend does not say %q:\n%s", want, body)
		}
		if want := "5 samples (4 from the observation log"; !strings.Contains(get(t, srv.URL+"/projects/"+id+"?window=1h"), want) {
			t.Errorf("the 1 h chart does not say %q (the four logged in the last hour, and its own)", want)
		}
	})
}

// The chain breaks where a record does not follow on from the one before
// (its records are gone) and resumes at the next whole snapshot; a
// removal, a record without its snapshots, end it too.
func TestTelemetryChainBreaksAndResumes(t *testing.T) {
	whole := func(status string) observation {
		return observation{Snapshot: []byte(`{"Id":"np_1","Status":"` + status + `"}`), Digest: status + "-digest"}
	}
	patch := func(prev, status string) observation {
		return observation{Prev: short(prev + "-digest"), Digest: status + "-digest", Patch: map[string]any{"Status": status}}
	}
	for _, tc := range []struct {
		name    string
		records []observation
		want    string // the status the chain stands at ("": broken)
	}{
		{"whole", []observation{whole("RUNNING")}, "RUNNING"},
		{"patched", []observation{whole("RUNNING"), patch("RUNNING", "FAILED")}, "FAILED"},
		{"quiet", []observation{whole("RUNNING"), {Prev: short("RUNNING-digest"), Digest: "RUNNING-digest", Quiet: true}}, "RUNNING"},
		{"a failed poll says nothing", []observation{whole("RUNNING"), {}}, "RUNNING"},
		{"does not follow on", []observation{whole("RUNNING"), patch("SUSPEND", "FAILED")}, ""},
		{"resumes at a whole one", []observation{whole("RUNNING"), patch("SUSPEND", "FAILED"), patch("FAILED", "RUNNING"), whole("FINISHED")}, "FINISHED"},
		{"removed", []observation{whole("RUNNING"), {Digest: "x", Removed: true}}, ""},
		{"omitted", []observation{whole("RUNNING"), {Omitted: true}, patch("RUNNING", "FAILED")}, ""},
		{"before any whole one", []observation{patch("RUNNING", "FAILED")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ch telemetryChain
			for _, o := range tc.records {
				if err := ch.record(o); err != nil {
					t.Fatal(err)
				}
			}
			got := ""
			if ch.tree != nil {
				got, _ = ch.tree["Status"].(string)
			}
			if got != tc.want {
				t.Errorf("the chain stands at %q, want %q", got, tc.want)
			}
		})
	}
}

// A record stored twice (a retried publish) and one written late by a
// replica that lost the lease are not the chain's: following them would
// break it (their link is to a snapshot before the one it stands for).
func TestTelemetryChainSkipsRepeatsAndLateRecords(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	first := observation{Time: t0, Snapshot: []byte(`{"Id":"np_1","Status":"RUNNING"}`), Digest: "RUNNING-digest"}
	failed := observation{Time: t0.Add(time.Minute), Prev: short("RUNNING-digest"), Digest: "FAILED-digest",
		Patch: map[string]any{"Status": "FAILED"}}
	late := observation{Time: t0.Add(30 * time.Second), Prev: short("SUSPEND-digest"), Digest: "x",
		Patch: map[string]any{"Status": "SUSPEND"}}
	var ch telemetryChain
	for i, tc := range []struct {
		o    observation
		take bool
	}{{first, true}, {failed, true}, {failed, false}, {late, false}} {
		if got := ch.take(tc.o); got != tc.take {
			t.Fatalf("record %d: take = %v, want %v", i, got, tc.take)
		}
		if !tc.take {
			continue
		}
		if err := ch.record(tc.o); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := ch.tree["Status"].(string); got != "FAILED" {
		t.Errorf("the chain stands at %q, want FAILED", got)
	}
}
