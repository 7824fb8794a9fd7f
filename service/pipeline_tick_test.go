package service

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/secret"
)

// A project that stays FAILED is not handed off again, yet "FAILED for
// 10m" fires: Tick re-evaluates it on the stored snapshot.
func TestTickFiresConditionsOfSteadyProjects(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	srv, err := natsembed.Start(ctx, natsembed.ServerOptions{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Shutdown(context.Background()) }()
	nc, err := natsembed.Connect(ctx, natsembed.ConnOptions{URL: srv.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	cfg, err := config.Load([]byte(`store:
  dir: unused
rules:
  conditions:
    - name: failed_long
      expr: 'project.Status == "FAILED"'
      for: 10m
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	d, err := newDelivery(ctx, cfg, js, deliveryOptions{stdout: out, logFormat: "json", red: &secret.Redactor{}, log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	snaps, err := poller.NewKVStore(ctx, js, poller.KVOptions{Bucket: "snapshots"})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := oms.ParseSnapshot([]byte(`{"Id":"np_1","Name":"orders","Status":"FAILED"}`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := d.Handler().Handle(ctx, poller.Change{Source: "oms://r", Project: "np_1", Time: t0, Current: snap}); err != nil {
		t.Fatal(err)
	}
	if _, err := snaps.Put(ctx, "oms://r", "np_1", poller.Record{Snapshot: snap, ObservedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Duration{5 * time.Minute, 11 * time.Minute} {
		if err := d.Tick(ctx, snaps, t0.Add(at), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Count(got, event.TypeConditionFiring) != 1 || !strings.Contains(got, `"time":"2026-01-01T00:11:00Z"`) {
		t.Fatalf("want one firing at 00:11, got:\n%s", got)
	}
}
