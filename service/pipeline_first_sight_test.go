package service

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/sinks"
)

// A project first seen RELEASED or DELETED is recorded by its discovered
// event and not announced as removed (EVENTS.md v2: v1 posted a removal,
// with its own card and thread, for every released project of a fleet
// omswatch met for the first time). It is still tombstoned and no longer
// polled; a project watched before it was released is still removed.
func TestFirstSightOfAFinalProjectIsNoRemoval(t *testing.T) {
	cases := []struct {
		name     string
		statuses []string
		want     []string
	}{
		{"first seen released", []string{"RELEASED"}, []string{event.TypeProjectDiscovered}},
		{"first seen deleted", []string{"DELETED"}, []string{event.TypeProjectDiscovered}},
		{"released while watched", []string{"RUNNING", "RELEASED"}, []string{event.TypeProjectDiscovered,
			event.TypeProjectStatusChanged, event.TypeProjectRemoved}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			d, js, out := startDelivery(ctx, t, "oms: {mode: sim}\nstore:\n  dir: unused\n")
			store, err := poller.NewKVStore(ctx, js, poller.KVOptions{Bucket: "snapshots"})
			if err != nil {
				t.Fatal(err)
			}
			var status string
			p, err := poller.New(poller.Options{Source: "oms://r", Projects: []string{"np_1"}, Store: store,
				Handler: d.Handler(), Logger: slog.New(slog.DiscardHandler),
				Fetcher: poller.FetcherFunc(func(context.Context, string) (*oms.Snapshot, error) {
					return oms.ParseSnapshot([]byte(`{"Id":"np_1","Name":"orders","Status":"` + status + `"}`))
				})})
			if err != nil {
				t.Fatal(err)
			}
			var sum poller.Summary
			for _, status = range tc.statuses {
				if sum, err = p.RunOnce(ctx); err != nil || sum.Failed != 0 {
					t.Fatalf("poll of a %s project: %+v %v", status, sum, err)
				}
			}
			if sum.Removed != 1 {
				t.Errorf("the last poll: %+v; want the project removed", sum)
			}
			if rec, err := store.Get(ctx, "oms://r", "np_1"); err != nil || !rec.Removed {
				t.Errorf("stored %+v, %v; want a tombstone", rec, err)
			}
			if err := d.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				e, err := sinks.DecodeEvent([]byte(l))
				if err != nil {
					t.Fatalf("%v: %s", err, l)
				}
				got = append(got, e.Type)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("events %v, want %v", got, tc.want)
			}
		})
	}
}
