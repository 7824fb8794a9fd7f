package service

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
)

// A project that stays FAILED hands off no change, yet "FAILED for 10m"
// fires: the poller's own cycle hands each quiet poll's snapshot to the
// conditions, with the poll's time. No second producer ticks them.
func TestQuietPollsFireConditionsOfSteadyProjects(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	d, js, out := startDelivery(ctx, t, `oms: {mode: sim}
store:
  dir: unused
rules:
  conditions:
    - name: failed_long
      expr: 'project.Status == "FAILED"'
      for: 10m
`)
	log := slog.New(slog.DiscardHandler)
	snaps, err := poller.NewKVStore(ctx, js, poller.KVOptions{Bucket: "snapshots"})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := oms.ParseSnapshot([]byte(`{"Id":"np_1","Name":"orders","Status":"FAILED"}`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var now atomic.Int64
	p, err := poller.New(poller.Options{Source: "oms://r", Projects: []string{"np_1"}, Store: snaps, Handler: d.Handler(),
		Fetcher:    poller.FetcherFunc(func(context.Context, string) (*oms.Snapshot, error) { return snap, nil }),
		Reevaluate: true, Now: func() time.Time { return time.Unix(0, now.Load()) }, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Duration{0, 5 * time.Minute, 11 * time.Minute, 12 * time.Minute} {
		now.Store(t0.Add(at).UnixNano())
		if sum, err := p.RunOnce(ctx); err != nil || sum.Failed != 0 {
			t.Fatalf("poll at +%s: %+v %v", at, sum, err)
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
