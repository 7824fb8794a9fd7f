package alertmanager_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// A restarted omswatch (a new sink) keeps the alerts the earlier one
// posted alive without waiting for their incidents' next event: Run
// adopts what Alertmanager has and posts it again at once, with endsAt
// moved ahead, and the alert neither resolves nor fires anew.
func TestRunKeepsTheAlertsOfAnEarlierRunAlive(t *testing.T) {
	am := newFakeAM(t)
	hs := httptest.NewServer(am)
	defer hs.Close()
	now := clock
	first := newSink(t, hs.URL, &now)
	if err := first.Send(t.Context(), sinks.Notification{Events: []event.Event{
		incidentEvent("inc-a", event.TypeIncidentOpened, 1, event.Critical),
		incidentEvent("inc-b", event.TypeIncidentOpened, 1, event.Warning),
		incidentEvent("inc-b", event.TypeIncidentResolved, 2, event.Info),
	}}); err != nil {
		t.Fatal(err)
	}

	now = now.Add(3 * time.Minute) // the restart: a minute before inc-a's endsAt
	second := newSink(t, hs.URL, &now)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); second.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		am.mu.Lock()
		n := len(am.posts)
		am.mu.Unlock()
		if n >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done

	am.mu.Lock()
	defer am.mu.Unlock()
	if am.lists != 1 || len(am.posts) != 4 {
		t.Fatalf("%d listings and %d posts; want the listing and inc-a posted again (3 posts before)", am.lists, len(am.posts))
	}
	again := am.posts[3]
	if again.Labels["incident"] != "inc-a" || !again.EndsAt.Equal(now.Add(4*time.Minute)) || again.Annotations["severity"] == "" {
		t.Errorf("posted again %v ends %s annotations %v; want inc-a, 4 intervals ahead, as it was", again.Labels, again.EndsAt, again.Annotations)
	}
	if am.triggers["inc-a"] != 1 || am.resolves["inc-a"] != 0 || am.triggers["inc-b"] != 1 || am.resolves["inc-b"] != 1 {
		t.Errorf("triggers %v resolves %v: the restart fired or resolved an alert", am.triggers, am.resolves)
	}
	if len(am.bad) != 0 {
		t.Errorf("bad requests: %v", am.bad)
	}
}
