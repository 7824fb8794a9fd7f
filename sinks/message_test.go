package sinks

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
)

// decodeForDelivery reads what DecodeEvent reads, less the changes.
func TestDecodeForDelivery(t *testing.T) {
	e := event.Event{ID: "x1", Source: "oms://r", Type: event.TypeStepErrorRaised, Subject: "np_1", Severity: event.Critical,
		Time: time.Date(2026, 1, 1, 0, 0, 1, 5, time.UTC),
		Data: event.Data{Project: event.Project{ID: "np_1", Name: "a\"b", Labels: []string{"l"}},
			Fields:  map[string]any{"step": "S", "n": 12345678901234567, "list": []any{"a", 1}, "obj": map[string]any{"k": nil}},
			Changes: []event.Change{{Op: "add", Path: "/a", Value: map[string]any{"big": "x"}}}}}
	b, _ := e.JSON()
	got, err := decodeForDelivery(b)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := DecodeEvent(b)
	want.Data.Changes = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
	if got.Data.Fields["n"] != json.Number("12345678901234567") {
		t.Errorf("number %v", got.Data.Fields["n"])
	}
	for _, bad := range []string{`[]`, `{"id":1}`, `{"data":[]}`, `{"id":"x"`} {
		if _, err := decodeForDelivery([]byte(bad)); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}

func BenchmarkDecodeForDelivery(b *testing.B) {
	e := event.Event{ID: "x1", Source: "oms://r", Type: event.TypeStepStatusChanged, Subject: "np_1", Severity: event.Info,
		Time: time.Now(), Data: event.Data{Project: event.Project{ID: "np_1", Name: "orders"},
			Fields:  map[string]any{"step": "FULL", "phase": "full", "from": "RUNNING", "to": "FAILED", "progress": 42},
			Changes: []event.Change{{Op: "replace", Path: "/Steps/FULL/Status", Value: "FAILED"}}}}
	data, _ := e.JSON()
	b.Run("stream", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeForDelivery(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodeEvent", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeEvent(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
