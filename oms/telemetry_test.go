package oms

import (
	"os"
	"strings"
	"testing"
)

func TestIsTelemetry(t *testing.T) {
	cases := []struct {
		path string
		want bool
	}{
		{"GmtModified", true},
		{"GmtCreate", false},
		{"Status", false},
		{"ExtraInfo/SyncDelay", true},
		{"ExtraInfo/IncrSyncTimestamp", true},
		{"ExtraInfo/RunningStep", true},
		{"ExtraInfo/SubIds", false},
		{"ExtraInfo", false},
		{"AlarmStats/AlarmContent", true},
		{"AlarmStats/Target", true},
		{"AlarmStats/Alarming", false},
		{"AlarmStats/RecentlyTriggerCount", false},
		{"Steps/INCR_TRANSFER/StepInfo", true},
		{"Steps/INCR_TRANSFER/StepInfo/checkpointSampleTimestamp", true},
		{"Steps/FULL_TRANSFER/StartTime", true},
		{"Steps/FULL_TRANSFER/Description", true},
		{"Steps/FULL_TRANSFER/Progress", false},
		{"Steps/FULL_TRANSFER/Status", false},
		{"Steps/FULL_TRANSFER/ExtraInfo/ErrorCode", false},
		{"Steps", false},
		{"", false},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			var p []string
			if tc.path != "" {
				p = strings.Split(tc.path, "/")
			}
			if got := IsTelemetry(p); got != tc.want {
				t.Errorf("IsTelemetry(%q) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
}

// seedData is the DescribeProject example's Data as a decoded tree.
func seedData(t *testing.T) map[string]any {
	t.Helper()
	body, err := os.ReadFile("../testdata/oms/seed_describeproject.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSnapshot(body)
	if err != nil {
		t.Fatal(err)
	}
	v, err := decodeJSON(200, s.JSON())
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

func TestStateDigestIgnoresOnlyTelemetry(t *testing.T) {
	cases := []struct {
		name     string
		edit     func(m map[string]any)
		wantSame bool
	}{
		{"nothing", func(map[string]any) {}, true},
		{"GmtModified", func(m map[string]any) { m["GmtModified"] = "2030-01-01T00:00:00" }, true},
		{"sync delay", func(m map[string]any) { m["ExtraInfo"].(map[string]any)["SyncDelay"] = 999 }, true},
		{"alarm content", func(m map[string]any) { alarm(m)["AlarmContent"] = "new text" }, true},
		{"alarming", func(m map[string]any) { alarm(m)["Alarming"] = !(alarm(m)["Alarming"] == true) }, false},
		{"extra info of telemetry only", func(m map[string]any) {
			m["ExtraInfo"] = map[string]any{"SyncDelay": 5}
		}, false}, // the seed's ExtraInfo has state members, which this drops
		{"step info", func(m map[string]any) {
			for _, st := range m["Steps"].(map[string]any) {
				st.(map[string]any)["StepInfo"] = map[string]any{"checkpoint": "42"}
			}
		}, true},
		{"status", func(m map[string]any) { m["Status"] = "FAILED" }, false},
		{"step progress", func(m map[string]any) {
			for _, st := range m["Steps"].(map[string]any) {
				st.(map[string]any)["Progress"] = 7
			}
		}, false},
		{"name", func(m map[string]any) { m["Name"] = "renamed" }, false},
	}
	base, err := Canonicalize(seedData(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := seedData(t)
			if _, ok := m["ExtraInfo"].(map[string]any); !ok {
				m["ExtraInfo"] = map[string]any{}
			}
			tc.edit(m)
			s, err := Canonicalize(m)
			if err != nil {
				t.Fatal(err)
			}
			if same := s.StateDigest() == base.StateDigest(); same != tc.wantSame {
				t.Errorf("state digests equal = %v, want %v", same, tc.wantSame)
			}
		})
	}
}

// alarm returns the AlarmStats object of a decoded tree, adding one.
func alarm(m map[string]any) map[string]any {
	a, ok := m["AlarmStats"].(map[string]any)
	if !ok {
		a = map[string]any{}
		m["AlarmStats"] = a
	}
	return a
}

func TestStateDigestOfTelemetryOnlyObjects(t *testing.T) {
	bare, err := Canonicalize(map[string]any{"Id": "np_1", "Status": "RUNNING"})
	if err != nil {
		t.Fatal(err)
	}
	withTelemetry, err := Canonicalize(map[string]any{"Id": "np_1", "Status": "RUNNING",
		"ExtraInfo": map[string]any{"SyncDelay": 3}, "AlarmStats": map[string]any{"Target": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if bare.StateDigest() != withTelemetry.StateDigest() {
		t.Error("ExtraInfo and AlarmStats holding telemetry only changed the state digest")
	}
}

func TestWithTelemetryFrom(t *testing.T) {
	old, err := Canonicalize(seedData(t))
	if err != nil {
		t.Fatal(err)
	}
	m := seedData(t)
	m["Status"] = "SUSPEND" // not telemetry: must not be taken
	m["GmtModified"] = "2031-02-03T04:05:06"
	extra, _ := m["ExtraInfo"].(map[string]any)
	if extra == nil {
		extra = map[string]any{}
		m["ExtraInfo"] = extra
	}
	extra["SyncDelay"] = 12
	delete(m, "TransferMapping") // ListProjects leaves it out
	fresh, err := Canonicalize(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := old.WithTelemetryFrom(fresh)
	if err != nil {
		t.Fatal(err)
	}
	tree := got.Tree()
	if tree["Status"] != old.Tree()["Status"] {
		t.Errorf("Status = %v, want the old %v", tree["Status"], old.Tree()["Status"])
	}
	if tree["GmtModified"] != "2031-02-03T04:05:06" {
		t.Errorf("GmtModified = %v, want the fresher one", tree["GmtModified"])
	}
	if d := tree["ExtraInfo"].(map[string]any)["SyncDelay"]; d == nil || d.(interface{ String() string }).String() != "12" {
		t.Errorf("SyncDelay = %v, want 12", d)
	}
	if _, ok := tree["TransferMapping"]; ok != (old.Tree()["TransferMapping"] != nil) {
		t.Errorf("TransferMapping kept = %v, want as in the old snapshot", ok)
	}
	if got.StateDigest() != old.StateDigest() {
		t.Error("the refreshed snapshot's state digest differs from the old one's")
	}
	if got.Digest() == old.Digest() {
		t.Error("the refreshed snapshot's digest did not change")
	}
}
