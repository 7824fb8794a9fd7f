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

// BenchmarkRecordEncoding is the client-side CPU the decision records add:
// the routing header of each event and a delivery record per attempt,
// beside the event's own encoding the outbox already did (the baseline, in
// the same run).
func BenchmarkRecordEncoding(b *testing.B) {
	e := event.Event{ID: "0a198ceec5953d5f366ed442841ce39c", Source: "oms://cn-hangzhou", Type: event.TypeStepStatusChanged,
		Subject: "np_lzubz1i86txw", Severity: event.Critical, Time: time.Now(),
		Data: event.Data{Project: event.Project{ID: "np_lzubz1i86txw", Name: "orders", Status: "RUNNING"},
			Fields: map[string]any{"step": "FULL", "phase": "full", "from": "RUNNING", "to": "FAILED", "progress": 42}}}
	routing := &Routing{Routes: []RouteRecord{{Name: "dba", Where: "rules.yaml:23", Action: "send", To: []string{"dba"}}},
		Passed: []RouteRecord{{Name: "high-only", Where: "rules.yaml:19", Action: RouteWhenFalse}}}
	rec := &Record{Kind: RecordDelivery, Time: time.Now(), Source: e.Source, Project: e.Subject,
		Delivery: &DeliveryRecord{Target: "dba", Notification: "84fe6c95dd8d72d1", Group: "project=np_lzubz1i86txw",
			Events: []string{e.ID}, Attempt: 1, Outcome: OutcomeDelivered,
			Receipts: map[string]Receipt{e.ID: {Channel: "C0DBA", TS: "1748765400.000005"}}}}
	b.Run("event_json_baseline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.JSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("routing_header", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(routing); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("delivery_record", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := recordMsg(DefaultDecisionPrefix, rec, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}
