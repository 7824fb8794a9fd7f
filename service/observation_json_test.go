package service

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// The record's writer writes what json.Marshal wrote for it, byte for
// byte where no string needs HTML escaping (the writer does none), and
// what reads back the same where one does.
func TestObservationJSONIsWhatEncodingJSONWrote(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 16, 0, 0, 123456789, time.UTC)
	full := observation{Source: "oms://cn-hangzhou", Project: "np_1", IdleFrom: t0.Add(-time.Minute),
		Idle: []idleObs{{Gap: 0}, {Gap: 30000, Patch: map[string]any{"ExtraInfo": map[string]any{"SyncDelay": json.Number("12")}},
			Digest: "0123456789abcdef"}},
		Time: t0, Prev: "fedcba9876543210", Digest: "abc", Snapshot: json.RawMessage(`{"Id":"np_1","Tags":["a","b"]}`),
		Patch: map[string]any{"Status": "FAILED", "Gone": nil, "Steps": []any{json.Number("1.5"), true, "x\ny"}},
		Quiet: true, Removed: true, Events: []json.RawMessage{json.RawMessage(`{"id":"e1"}`), json.RawMessage(`{"id":"e2"}`)},
		Keyframe: t0.Add(-time.Hour), Omitted: true}
	minimal := observation{Source: "s", Project: "p", Time: t0}
	escaped := full
	escaped.Project, escaped.Patch = "a<b>&c", map[string]any{"Message": "<script>&amp;"}
	for name, o := range map[string]observation{"full": full, "minimal": minimal, "empty patch": {Source: "s", Project: "p",
		Time: t0, Patch: map[string]any{}, Idle: []idleObs{{Gap: 5, Patch: map[string]any{}}}}} {
		want, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if got := o.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	want, err := json.Marshal(escaped)
	if err != nil {
		t.Fatal(err)
	}
	a, errA := decodeObservation(escaped.appendJSON(nil))
	b, errB := decodeObservation(want)
	if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("with HTML characters, read back %+v (%v), encoding/json's %+v (%v)", a, errA, b, errB)
	}
}

// A patch that waited in memory as canonical JSON is written as the same
// patch held as values would be.
func TestWaitingPatchIsWrittenAsItsValues(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC)
	idle := map[string]any{"ExtraInfo": map[string]any{"SyncDelay": json.Number("12"), "Gone": nil}}
	own := map[string]any{"Status": "RUNNING", "Steps": []any{json.Number("2"), "a\"b"}}
	values := observation{Source: "s", Project: "p", Time: t0, IdleFrom: t0.Add(-time.Minute),
		Idle: []idleObs{{Gap: 0, Patch: idle, Digest: "0123"}}, Patch: own}
	encoded := observation{Source: "s", Project: "p", Time: t0, IdleFrom: t0.Add(-time.Minute),
		Idle: []idleObs{{Gap: 0, patchJSON: oms.AppendCanonical(nil, idle), Digest: "0123"}}, patchJSON: oms.AppendCanonical(nil, own)}
	if got, want := encoded.appendJSON(nil), values.appendJSON(nil); !bytes.Equal(got, want) {
		t.Errorf("from canonical JSON:\n got %s\nwant %s", got, want)
	}
}
