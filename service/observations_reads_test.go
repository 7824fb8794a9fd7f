package service

import (
	"context"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// A first sight starts its chain with a whole snapshot and reads nothing
// of the log (at the first read of a large fleet that was two requests a
// project); after a restart, the log's stream is looked up once, not once
// for each project whose chain is carried on.
func TestObservationFirstSightReadsNothingOfTheLog(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	ob, err := sinks.NewOutbox(ctx, js, sinks.OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 3, Projects: 20})
	if err != nil {
		t.Fatal(err)
	}
	apiCalls := func() uint64 {
		info, err := js.AccountInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.API.Total
	}
	r := newRecorder(ob)
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	before := apiCalls()
	for _, id := range g.IDs() {
		c := poller.Change{Source: "oms://cn-hangzhou", Project: id, Time: at, Current: simSnapshot(t, g, id, 0)}
		if err := r.Record(ctx, c, rules.Outcome{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := apiCalls() - before - 1; n != 0 {
		t.Errorf("%d JetStream API calls for %d first sights, want 0", n, len(g.IDs()))
	}

	restarted := newRecorder(ob) // a restart: the chains are carried on from the log
	before = apiCalls()
	ids := g.IDs()[:5]
	for tick := range int64(3) {
		for _, id := range ids {
			c := poller.Change{Source: "oms://cn-hangzhou", Project: id, Time: at.Add(time.Duration(tick+1) * time.Minute),
				Previous: simSnapshot(t, g, id, tick), Current: simSnapshot(t, g, id, tick+1)}
			if err := restarted.Record(ctx, c, rules.Outcome{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The stream is looked up once (the reads of the last records that
	// follow are direct gets, which the account's API count leaves out).
	if n := apiCalls() - before - 1; n != 1 {
		t.Errorf("%d JetStream API calls for three changes of %d projects after a restart, want 1", n, len(ids))
	}
}
