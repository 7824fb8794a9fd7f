package logsink_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/logsink"
)

func TestLogLines(t *testing.T) {
	e := event.Event{ID: "id1", Source: "oms://r", Type: event.TypeAlarmCleared, Subject: "np_1", Severity: event.Info,
		Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	js, _ := e.JSON()
	cases := []struct {
		format, want string
	}{
		{"json", string(js) + "\n" + string(js) + "\n"},
		{"text", "np_1 oms.alarm.cleared\nnp_1 oms.alarm.cleared\n"},
	}
	for _, tc := range cases {
		t.Run(tc.format, func(t *testing.T) {
			var b bytes.Buffer
			s, err := logsink.New(logsink.Config{Format: tc.format, Text: func(e event.Event) string { return e.Subject + " " + e.Type }}, &b)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(t.Context(), sinks.Notification{Events: []event.Event{e, e}}); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got %q want %q", b.String(), tc.want)
			}
		})
	}
	if _, err := logsink.New(logsink.Config{Format: "xml"}, nil); err == nil {
		t.Error("format xml accepted")
	}
}
