package differ

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/omswatch/omswatch/event"
)

// EVENTS.md v2: a step's status change carries its progress, and holds
// the progress op; progress_changed is for a progress that moved while
// the status stayed (v1 printed every step change twice).
func TestStatusChangeCarriesProgress(t *testing.T) {
	events := diffDocs(t, edited(), changed(func(d doc) {
		s := step(d, "FULL_TRANSFER")
		s["Status"], s["Progress"] = "FAILED", json.Number("55")
		step(d, "INCR_TRANSFER")["Progress"] = json.Number("3") // moved, status kept
	}))
	want := "oms.step.status_changed critical step=FULL_TRANSFER progress=55 to=FAILED\n" +
		"oms.step.progress_changed info step=INCR_TRANSFER to=3"
	if got := brief(events, "step", "progress", "to"); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	paths := []string{}
	for _, c := range events[0].Data.Changes {
		paths = append(paths, c.Path)
	}
	if !slices.Equal(paths, []string{"/Steps/FULL_TRANSFER/Progress", "/Steps/FULL_TRANSFER/Status"}) {
		t.Errorf("status_changed holds %v", paths)
	}
	// And over the simulator's lifecycles: never both for one step.
	snaps := simSnapshots(t)
	for i := 0; i+1 < len(snaps); i++ {
		if snaps[i].ID() != snaps[i+1].ID() {
			continue
		}
		res, err := Diff(snaps[i], snaps[i+1], obs)
		if err != nil {
			t.Fatal(err)
		}
		status := map[any]bool{}
		for _, e := range res.Events {
			if e.Type == event.TypeStepStatusChanged {
				status[e.Data.Fields["step"]] = true
			}
		}
		for _, e := range res.Events {
			if e.Type == event.TypeStepProgressChanged && status[e.Data.Fields["step"]] {
				t.Errorf("pair %d: step %v has a status change and a progress change", i, e.Data.Fields["step"])
			}
		}
	}
}
