package service

import (
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
)

// The log target's text line says what a condition or a poll event is
// about, not just its type.
func TestTextLineConditionAndPollEvents(t *testing.T) {
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		typ    string
		fields map[string]any
		want   string
	}{
		{event.TypeConditionFiring, map[string]any{"rule": "failed_for_2m", "since": "2026-11-24T09:58:00Z", "value": "FAILED"},
			"failed_for_2m firing since 2026-11-24T09:58:00Z, value FAILED"},
		{event.TypeConditionResolved, map[string]any{"rule": "incr_delay_high", "value": "12s"}, "incr_delay_high resolved, value 12s"},
		{event.TypePollFailing, map[string]any{"failures": 3, "error_code": "Throttling.User", "error": "too many requests"},
			"3 polls failed (Throttling.User): too many requests"},
		{event.TypePollRecovered, map[string]any{"failures": 4}, "polled again after 4 failures"},
	} {
		e := event.Event{Type: tc.typ, Subject: "np_1", Time: at, Severity: event.Warning, Data: event.Data{Fields: tc.fields}}
		want := "2026-11-24T10:00:00Z warning  " + tc.typ + " np_1: " + tc.want
		if got := TextLine(e); got != want {
			t.Errorf("%s:\n got  %q\n want %q", tc.typ, got, want)
		}
	}
}
