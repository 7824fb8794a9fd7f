package service

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

// crashStore fails the snapshot saves while crashing is set: the poller
// has handed the change off (the events are in the outbox) and "dies"
// before the snapshot is stored.
type crashStore struct {
	poller.Store
	crashing atomic.Bool
}

func (s *crashStore) Put(ctx context.Context, source, project string, rec poller.Record) (uint64, error) {
	if s.crashing.Load() {
		return 0, errors.New("crashed before saving the snapshot")
	}
	return s.Store.Put(ctx, source, project, rec)
}

func snapshotFile(t testing.TB, name string) *oms.Snapshot {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "diff", "sim_full-fail-resume_step_error_raised", name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := oms.ParseSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A crash between the outbox publish and the snapshot update makes the
// next poll hand the same change off again: the stream keeps one copy of
// each event and every target gets it once.
func TestCrashBetweenPublishAndSnapshotStoresNoDuplicate(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	d, js, out := startDelivery(ctx, t, "oms: {mode: sim}\nstore:\n  dir: unused\n")
	log := slog.New(slog.DiscardHandler)
	kv, err := poller.NewKVStore(ctx, js, poller.KVOptions{Bucket: "snapshots"})
	if err != nil {
		t.Fatal(err)
	}
	store := &crashStore{Store: kv}
	var current atomic.Pointer[oms.Snapshot]
	current.Store(snapshotFile(t, "old.json"))
	poll := func() poller.Summary {
		t.Helper()
		// A new poller each time: the restarted process.
		p, err := poller.New(poller.Options{Source: "oms://cn-hangzhou", Projects: []string{current.Load().ID()},
			Fetcher: poller.FetcherFunc(func(context.Context, string) (*oms.Snapshot, error) { return current.Load(), nil }),
			Store:   store, Handler: d.Handler(), Schedule: poller.Schedule{Default: "@every 30s"}, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := p.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	store.crashing.Store(true)
	if sum := poll(); sum.Failed != 1 {
		t.Fatalf("the crashed poll: %+v", sum)
	}
	store.crashing.Store(false)
	if sum := poll(); sum.Changed != 1 {
		t.Fatalf("the poll after the crash: %+v", sum)
	}
	current.Store(snapshotFile(t, "new.json"))
	store.crashing.Store(true)
	poll()
	store.crashing.Store(false)
	poll()
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		e, err := sinks.DecodeEvent([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		if seen[e.ID] {
			t.Errorf("event %s (%s) delivered twice", e.ID, e.Type)
		}
		seen[e.ID] = true
	}
	st, _ := js.Stream(ctx, sinks.DefaultStream)
	info, _ := st.Info(ctx)
	if int(info.State.Msgs) != len(seen) || len(seen) < 2 {
		t.Errorf("the stream holds %d events, %d distinct were delivered", info.State.Msgs, len(seen))
	}
}

// startDelivery starts an embedded NATS server and the delivery of a
// configuration on it (the log target writing JSON to out), stopped with
// the test.
func startDelivery(ctx context.Context, t testing.TB, doc string) (*delivery, jetstream.JetStream, *proctest.Buffer) {
	t.Helper()
	srv, err := natsembed.Start(ctx, natsembed.ServerOptions{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	nc, err := natsembed.Connect(ctx, natsembed.ConnOptions{URL: srv.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	cfg, err := config.Load([]byte(doc), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := &proctest.Buffer{}
	d, err := newDelivery(ctx, cfg, js, deliveryOptions{stdout: out, logFormat: "json", red: &secret.Redactor{},
		log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d, js, out
}
