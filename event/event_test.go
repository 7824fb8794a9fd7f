package event

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sample() Event {
	return Event{
		ID:       NewID("oms://cn-hangzhou", "np_7hq2kd81", TypeStepStatusChanged, "FULL_TRANSFER", "abc"),
		Source:   "oms://cn-hangzhou",
		Type:     TypeStepStatusChanged,
		Subject:  "np_7hq2kd81",
		Time:     time.Date(2026, 11, 24, 10, 0, 5, 0, time.FixedZone("CST", 8*3600)),
		Severity: Critical,
		Data: Data{
			Project: Project{ID: "np_7hq2kd81", Name: "orders<&>", Type: "MIGRATION", Status: "RUNNING", Importance: "HIGH", Owner: "dba"},
			Fields:  map[string]any{"step": "FULL_TRANSFER", "phase": "full", "from": "RUNNING", "to": "FAILED", "progress": 42},
			Changes: []Change{
				{Op: "replace", Path: "/Steps/FULL_TRANSFER/Status", Value: "FAILED"},
				{Op: "add", Path: "/Steps/FULL_TRANSFER/Extra", Value: nil},
				{Op: "remove", Path: "/Labels/l_1"},
			},
		},
	}
}

func TestEventJSONShape(t *testing.T) {
	b, err := sample().JSON()
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"specversion":"1.0","id":"` + `ID` + `","source":"oms://cn-hangzhou","type":"oms.step.status_changed",` +
		`"subject":"np_7hq2kd81","time":"2026-11-24T02:00:05Z","datacontenttype":"application/json","severity":"critical",` +
		`"data":{"changes":[{"op":"replace","path":"/Steps/FULL_TRANSFER/Status","value":"FAILED"},` +
		`{"op":"add","path":"/Steps/FULL_TRANSFER/Extra","value":null},{"op":"remove","path":"/Labels/l_1"}],` +
		`"from":"RUNNING","phase":"full","progress":42,"project":{"id":"np_7hq2kd81","name":"orders<&>","type":"MIGRATION",` +
		`"status":"RUNNING","importance":"HIGH","labels":[],"owner":"dba"},"step":"FULL_TRANSFER","to":"FAILED"}}`
	got := strings.Replace(string(b), sample().ID, "ID", 1)
	if got != want {
		t.Fatalf("event JSON\n got %s\nwant %s", got, want)
	}
}

func TestEventRoundTrip(t *testing.T) {
	in := sample()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Event
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if err := out.Validate(); err != nil {
		t.Fatalf("round-tripped event invalid: %v", err)
	}
	again, err := out.JSON()
	if err != nil {
		t.Fatal(err)
	}
	first, _ := in.JSON()
	if string(again) != string(first) {
		t.Fatalf("round trip changed the bytes:\n%s\n%s", first, again)
	}
	if !out.Time.Equal(in.Time) || out.Data.Fields["progress"] != json.Number("42") {
		t.Fatalf("round trip lost values: %+v", out)
	}
}

func TestNewIDStableAndDistinct(t *testing.T) {
	a := NewID("oms://r", "np_1", TypeStepStatusChanged, "FULL", "d1")
	if a != NewID("oms://r", "np_1", TypeStepStatusChanged, "FULL", "d1") {
		t.Fatal("same inputs gave different ids")
	}
	others := []string{
		NewID("oms://r2", "np_1", TypeStepStatusChanged, "FULL", "d1"),
		NewID("oms://r", "np_2", TypeStepStatusChanged, "FULL", "d1"),
		NewID("oms://r", "np_1", TypeStepProgressChanged, "FULL", "d1"),
		NewID("oms://r", "np_1", TypeStepStatusChanged, "INCR", "d1"),
		NewID("oms://r", "np_1", TypeStepStatusChanged, "FULL", "d2"),
		NewID("oms://r", "np_1", TypeStepStatusChanged, "FUL", "Ld1"), // boundaries matter
	}
	for i, o := range others {
		if o == a {
			t.Errorf("variant %d collides with the base id", i)
		}
	}
	if len(a) != 32 {
		t.Errorf("id %q: want 32 hex characters", a)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Event)
		want   string
	}{
		{"ok", func(*Event) {}, ""},
		{"no id", func(e *Event) { e.ID = "" }, "id is empty"},
		{"no source", func(e *Event) { e.Source = " " }, "source is empty"},
		{"no time", func(e *Event) { e.Time = time.Time{} }, "time is not set"},
		{"bad severity", func(e *Event) { e.Severity = "loud" }, `severity "loud"`},
		{"reserved field", func(e *Event) { e.Data.Fields["project"] = 1 }, `"project" is reserved`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := sample()
			tc.mutate(&e)
			err := e.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestUnmarshalRejects(t *testing.T) {
	for _, in := range []string{
		`{"specversion":"0.3","id":"x","time":"2026-01-01T00:00:00Z","severity":"info","data":{}}`,
		`{"specversion":"1.0","id":"x","time":"yesterday","severity":"info","data":{}}`,
		`{"specversion":"1.0","id":"x","time":"2026-01-01T00:00:00Z","severity":"urgent","data":{}}`,
		`[]`,
	} {
		var e Event
		if err := json.Unmarshal([]byte(in), &e); err == nil {
			t.Errorf("decoded %s without error", in)
		}
	}
}

func TestTypesMatching(t *testing.T) {
	got, err := TypesMatching("oms.step.*")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{TypeStepStatusChanged, TypeStepProgressChanged, TypeStepErrorRaised, TypeStepErrorCleared,
		TypeStepErrorChanged}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	if got, _ := TypesMatching("oms.stpe.*"); len(got) != 0 {
		t.Fatalf("typo glob matched %v", got)
	}
	if _, err := TypesMatching("oms.[step"); err == nil {
		t.Fatal("malformed glob accepted")
	}
	if len(Types()) != 26 || !IsKnownType(TypeWorkerExpired) || IsKnownType("oms.nope") {
		t.Fatal("catalog incomplete")
	}
}

func TestSeverity(t *testing.T) {
	if !Critical.AtLeast(Warning) || Info.AtLeast(Warning) || !Warning.AtLeast(Warning) {
		t.Fatal("severity order wrong")
	}
	if _, err := ParseSeverity("page"); err == nil {
		t.Fatal("unknown severity accepted")
	}
}
