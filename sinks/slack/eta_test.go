package slack_test

import (
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/slack"
)

// The status card says where a lagging sync is going next to its delay,
// and is edited in place as the trend changes: catching up with its ETA,
// falling behind by so much a minute, stalled.
func TestStatusCardShowsCatchUpETA(t *testing.T) {
	clock := newFakeClock()
	f := newFakeSlack(t, clock)
	s := newSink(t, f, clock, &slack.MemThreads{}, slack.Target{Channel: "#oms"})
	steps := []sinks.StepStatus{{Name: "INCR_TRANSFER", Status: "MONITORING", Progress: 100}}
	for i, tc := range []struct {
		delay time.Duration
		eta   string
		want  string
	}{
		{12 * time.Minute, "catching up, ETA 35 min", "*Sync delay*\\n12m0s, catching up, ETA 35 min"},
		{150 * time.Second, "falling behind by 3 s/min", "*Sync delay*\\n2m30s, falling behind by 3 s/min"},
		{5 * time.Minute, "stalled at 5m0s behind", "*Sync delay*\\n5m0s, stalled"},
		{20 * time.Second, "", "*Sync delay*\\n20s\""},
	} {
		n := notify(ev("np_a", "orders", event.TypeStepProgressChanged, event.Info, i, map[string]any{"step": "INCR_TRANSFER"}))
		n.Status = map[string]*sinks.ProjectStatus{"np_a": {ID: "np_a", Name: "orders", Status: "RUNNING", Steps: steps,
			SyncDelay: tc.delay, SyncDelayKnown: true, ETA: tc.eta}}
		if err := s.Send(t.Context(), n); err != nil {
			t.Fatal(err)
		}
		cards := append(f.requests("chat.postMessage")[:1], f.requests("chat.update")...)
		if len(cards) != i+1 {
			t.Fatalf("after %d notifications %d card posts and edits, want %d", i+1, len(cards), i+1)
		}
		if got := cards[i].Blocks; !strings.Contains(got, tc.want) {
			t.Errorf("card %d does not say %s: %s", i, tc.want, got)
		}
	}
}
