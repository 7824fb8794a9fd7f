package differ

import (
	"fmt"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/event"
)

// EVENTS.md v2: first sight is one discovered event that says what is
// wrong, its severity from that; a project first seen RELEASED is
// discovered (recorded), not removed.
func TestDiscoveredSaysWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []func(doc)
		sev   event.Severity
		kinds string
	}{
		{"healthy", nil, event.Info, ""},
		{"released", []func(doc){func(d doc) { d["Status"] = "RELEASED" }}, event.Info, ""},
		{"suspended", []func(doc){func(d doc) { d["Status"] = "SUSPEND" }}, event.Warning, ""},
		{"project failed", []func(doc){func(d doc) { d["Status"] = "FAILED" }}, event.Critical, ""},
		{"step failed", []func(doc){func(d doc) { step(d, "FULL_TRANSFER")["Status"] = "FAILED" }}, event.Critical,
			"step_failed:step FULL_TRANSFER FAILED"},
		{"open error", []func(doc){func(d doc) {
			stepExtra(d, "INCR_TRANSFER")["ErrorDetails"] = []any{errorDetail("C1", "WARNING", "slow\nsink", "", "")}
		}}, event.Warning, "error:step INCR_TRANSFER error C1: slow sink"},
		{"alarming", []func(doc){alarmOn(2)}, event.Warning, "alarming:alarming (2 recent): Sync delay alarm #2"},
		{"worker expired", []func(doc){func(d doc) { d["WorkerGradeInfo"].(doc)["Expired"] = true }}, event.Warning,
			"worker_expired:worker g_i4wa7*** expired at 2024-02-02T16:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events := diffDocs(t, nil, edited(tc.edits...))
			if len(events) != 1 || events[0].Type != event.TypeProjectDiscovered {
				t.Fatalf("want one discovered event, got\n%s", brief(events))
			}
			e := events[0]
			if e.Severity != tc.sev {
				t.Errorf("severity %s, want %s", e.Severity, tc.sev)
			}
			list, ok := e.Data.Fields["problems"].([]any)
			if !ok {
				t.Fatalf("problems is %T, want a list", e.Data.Fields["problems"])
			}
			var kinds []string
			for _, p := range list {
				m := p.(map[string]any)
				kinds = append(kinds, fmt.Sprint(m["kind"], ":", m["text"]))
			}
			if got := strings.Join(kinds, "\n"); got != tc.kinds {
				t.Errorf("problems\n%s\nwant\n%s", got, tc.kinds)
			}
		})
	}
}
