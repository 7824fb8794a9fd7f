package poller

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
)

// countingStore counts a Store's writes: whole records (Put) and the
// metadata-only ones (PutMeta).
type countingStore struct {
	Store
	puts, metas atomic.Int64
}

func (s *countingStore) Put(ctx context.Context, source, project string, rec Record) (uint64, error) {
	s.puts.Add(1)
	return s.Store.Put(ctx, source, project, rec)
}

func (s *countingStore) PutMeta(ctx context.Context, source, project string, rec Record) (uint64, error) {
	s.metas.Add(1)
	return s.Store.PutMeta(ctx, source, project, rec)
}

func (s *countingStore) take() (puts, metas int64) { return s.puts.Swap(0), s.metas.Swap(0) }

// Records written before the two-tier state was kept (no list_full, no
// failure fields) read as they did, the new fields zero; their snapshots
// were compressed by the standard library's compress/flate, which the
// codec no longer uses (DEFLATE is DEFLATE).
func TestOldRecordsStayReadable(t *testing.T) {
	sim, ids := newSim(t, 1, 5)
	snap := snapshotOf(t, cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret), ids[0])
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	// The metadata as the codec wrote it until now, field for field.
	old := struct {
		Digest      string    `json:"digest,omitempty"`
		ListDigest  string    `json:"list_digest,omitempty"`
		DescribedAt time.Time `json:"described_at,omitzero"`
		ObservedAt  time.Time `json:"observed_at,omitzero"`
		Removed     bool      `json:"removed,omitempty"`
		Status      string    `json:"status,omitempty"`
	}{snap.Digest(), "list-1", t0, t0, false, "RUNNING"}
	meta, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	var v bytes.Buffer
	v.WriteString(valueMagic)
	v.Write(binary.AppendUvarint(nil, uint64(len(meta))))
	v.Write(meta)
	w, _ := flate.NewWriter(&v, flate.BestSpeed)
	_, _ = w.Write(snap.JSON())
	_ = w.Close()
	rec, err := decodeRecord(v.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Snapshot.Digest() != snap.Digest() || rec.ListDigest != "list-1" || !rec.DescribedAt.Equal(t0) || rec.Status != "RUNNING" ||
		rec.ListFull != "" || rec.Failures != 0 || !rec.FailingSince.IsZero() || rec.FailingSent {
		t.Errorf("an old record read back as %+v", rec)
	}
	// And the new fields make the round trip.
	want := Record{Snapshot: snap, ListDigest: "l", ListFull: "f", DescribedAt: t0, ObservedAt: t0, Status: "RUNNING",
		Failures: 2, FailingSince: t0, FailingSent: true, LastErrorCode: "ServiceUnavailable", LastError: "oms: 503"}
	b, err := encodeRecord(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	got.Snapshot, want.Snapshot = nil, nil
	if !got.DescribedAt.Equal(t0) || !got.FailingSince.Equal(t0) {
		t.Errorf("times %s %s, want %s", got.DescribedAt, got.FailingSince, t0)
	}
	got.DescribedAt, got.ObservedAt, got.FailingSince = t0, t0, t0
	if got != want {
		t.Errorf("read back %+v, want %+v", got, want)
	}
}

// PutMeta writes the two-tier state beside the stored snapshot, which it
// keeps as it is, with the compare-and-set of Put; with no record it
// creates one without a snapshot.
func TestPutMetaKeepsTheSnapshot(t *testing.T) {
	sim, ids := newSim(t, 1, 5)
	snap := snapshotOf(t, cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret), ids[0])
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, store := range map[string]Store{"kv": newStore(t), "memory": newMemStore()} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			rev, err := store.Put(ctx, testSource, "np_a", Record{Snapshot: snap, ListDigest: "l0", ObservedAt: t0, Status: "RUNNING"})
			if err != nil {
				t.Fatal(err)
			}
			state := Record{ListDigest: "l1", ListFull: "f1", DescribedAt: t0.Add(time.Hour), Failures: 1, FailingSince: t0,
				LastErrorCode: "ServiceUnavailable", LastError: "503", Revision: rev,
				Status: "ignored", ObservedAt: t0.Add(time.Hour), Removed: true}
			rev2, err := store.PutMeta(ctx, testSource, "np_a", state)
			if err != nil {
				t.Fatal(err)
			}
			got, err := store.Get(ctx, testSource, "np_a")
			if err != nil {
				t.Fatal(err)
			}
			if got.Revision != rev2 || got.Snapshot.Digest() != snap.Digest() || got.Status != "RUNNING" || !got.ObservedAt.Equal(t0) || got.Removed ||
				got.ListDigest != "l1" || got.ListFull != "f1" || !got.DescribedAt.Equal(t0.Add(time.Hour)) || got.Failures != 1 ||
				got.LastErrorCode != "ServiceUnavailable" {
				t.Errorf("after PutMeta: %+v", got)
			}
			if _, err := store.PutMeta(ctx, testSource, "np_a", state); !errors.Is(err, ErrConflict) {
				t.Errorf("PutMeta at a stale revision: %v, want ErrConflict", err)
			}
			if _, err := store.PutMeta(ctx, testSource, "np_a", Record{}); !errors.Is(err, ErrConflict) {
				t.Errorf("PutMeta of a new record over an existing one: %v, want ErrConflict", err)
			}
			if _, err := store.PutMeta(ctx, testSource, "np_b", Record{Failures: 3}); err != nil {
				t.Fatal(err)
			}
			if got, err := store.Get(ctx, testSource, "np_b"); err != nil || got.Snapshot != nil || got.Removed || got.Failures != 3 {
				t.Errorf("a state without a snapshot read back as %+v (%v)", got, err)
			}
		})
	}
}

// `omswatch once` from cron decides as a long-running poller does: the
// periodic re-describe of a quiet project is remembered (four runs, the
// second after describe_refresh: +n, +n, 0, 0 describes; before, every
// run after the refresh described every project again), and a quiet run
// writes nothing to the store.
func TestOnceRunsKeepTheTwoTierState(t *testing.T) {
	const n = 10
	sim, _ := newSim(t, n, 5)
	store := &countingStore{Store: newStore(t)}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var describes, metas, puts []int64
	removed := int64(0) // final at first sight: not polled again
	for _, at := range []time.Duration{0, 12 * time.Second, 14 * time.Second, 16 * time.Second} {
		now := t0.Add(at)
		api := cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
		p := newPoller(t, api, store, &changes{}, func(o *Options) {
			o.List, o.DescribeRefresh, o.Now = &oms.ListQuery{}, 10*time.Second, func() time.Time { return now }
		})
		s := runOnce(t, p)
		if s.Failed != 0 {
			t.Fatalf("run at %s: %+v", at, s)
		}
		if at == 0 {
			removed = int64(s.Removed)
		}
		pt, mt := store.take()
		describes, puts, metas = append(describes, p.Describes()), append(puts, pt), append(metas, mt)
	}
	t.Logf("FIGURE once every 2 s after the refresh (describe_refresh 10s, %d projects): DescribeProject %v, snapshot writes %v, state writes %v",
		n, describes, puts, metas)
	live := n - removed
	if describes[0] != n || describes[1] != live || describes[2] != 0 || describes[3] != 0 {
		t.Errorf("DescribeProject per run %v, want %d, %d, 0, 0", describes, n, live)
	}
	if metas[1] != live || puts[1] != 0 {
		t.Errorf("the re-describe that found nothing new wrote %d records and %d states, want 0 and %d", puts[1], metas[1], live)
	}
	if puts[2]+metas[2]+puts[3]+metas[3] != 0 {
		t.Errorf("quiet runs wrote %d records and %d states, want none", puts[2]+puts[3], metas[2]+metas[3])
	}
}

// A run of failures adds up across `omswatch once` runs as across the
// polls of a long-running poller: oms.poll.failing at the third run in a
// row under a sustained 503 (before, each run said failures=1 and it
// never fired), and oms.poll.recovered after it counts them all.
func TestFailuresAddUpAcrossOnceRuns(t *testing.T) {
	sim, ids := newSim(t, 3, 5)
	store, h := newStore(t), &changes{}
	once := func() Summary {
		api := cloudAPI(t, sim, omsapi.Options{}, omssim.DemoAccessKeySecret)
		return runOnce(t, newPoller(t, api, store, h, func(o *Options) { o.Projects = ids[:1] }))
	}
	if s := once(); s.Changed != 1 {
		t.Fatalf("first sight: %+v", s)
	}
	h.take()
	faults, err := omssim.ParseFaults("http503:DescribeProject")
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.SetFaults(faults); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 4; run++ {
		if s := once(); s.Failed != 1 {
			t.Fatalf("run %d: %+v, want a failed poll", run, s)
		}
		if got, want := pollEvents(h.take())[event.TypePollFailing], map[bool]int{true: 1}[run == 3]; got != want {
			t.Errorf("run %d: %d oms.poll.failing, want %d", run, got, want)
		}
	}
	if err := sim.SetFaults(nil); err != nil {
		t.Fatal(err)
	}
	once()
	var recovered []event.Event
	for _, c := range h.take() {
		for _, e := range c.Events {
			if e.Type == event.TypePollRecovered {
				recovered = append(recovered, e)
			}
		}
	}
	if len(recovered) != 1 || recovered[0].Data.Fields["failures"] != 4 || recovered[0].Data.Fields["error_code"] != "ServiceUnavailable" {
		t.Fatalf("recovered %+v, want one after 4 failures of ServiceUnavailable", recovered)
	}
	if rec, err := store.Get(t.Context(), testSource, ids[0]); err != nil || rec.Failures != 0 || rec.FailingSent {
		t.Errorf("after the recovery the record keeps a run of failures: %+v (%v)", rec, err)
	}
}

// BenchmarkStateWrite compares the two writes of a project's record on the
// embedded JetStream KV: Put (the snapshot compressed again: a change, or
// a re-describe that found nothing new) and PutMeta (the two-tier state
// beside the stored snapshot: a failed poll, which has no snapshot at
// hand), for projects of 20, 200 and 5,000 tables.
func BenchmarkStateWrite(b *testing.B) {
	for _, tables := range []int{20, 200, 5000} {
		b.Run(fmt.Sprintf("tables=%d", tables), func(b *testing.B) { benchStateWrite(b, tables) })
	}
}

func benchStateWrite(b *testing.B, tables int) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 5, Projects: 1, MinTables: tables, MaxTables: tables})
	if err != nil {
		b.Fatal(err)
	}
	a, ok := g.Describe(omssim.Moment{}, g.IDs()[0], omssim.Full)
	if !ok {
		b.Fatal("no project")
	}
	snap, err := oms.ParseSnapshot(a.Data)
	if err != nil {
		b.Fatal(err)
	}
	_, js := proctest.StartEmbeddedNATS(b, b.TempDir())
	store, err := NewKVStore(b.Context(), js, KVOptions{Bucket: "bench-state"})
	if err != nil {
		b.Fatal(err)
	}
	rev, err := store.Put(b.Context(), testSource, "np_a", Record{Snapshot: snap})
	if err != nil {
		b.Fatal(err)
	}
	writes := map[string]func(rec Record) (uint64, error){
		"put": func(rec Record) (uint64, error) {
			rec.Snapshot = snap
			return store.Put(b.Context(), testSource, "np_a", rec)
		},
		"put_meta": func(rec Record) (uint64, error) { return store.PutMeta(b.Context(), testSource, "np_a", rec) },
	}
	for _, name := range []string{"put", "put_meta"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				rev, err = writes[name](Record{DescribedAt: time.Now(), ListDigest: "l", Revision: rev})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(snap.JSON())), "snapshot-bytes")
		})
	}
}
