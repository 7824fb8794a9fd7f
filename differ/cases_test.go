package differ

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

// doc is a decoded DescribeProject Data object (numbers as json.Number).
type doc = map[string]any

// goldenCase is one testdata/diff case: how to build its two inputs.
// old returning nil writes an empty old.json (first sight).
type goldenCase struct {
	name     string
	old, new func(t *testing.T) []byte
}

const seedPath = "../testdata/oms/seed_describeproject.json"

func decode(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// base is the seed's Data made into a running migration with four clean
// steps, no alarm and one label: the starting point of the hand-built cases.
func base(t testing.TB) doc {
	t.Helper()
	body, err := os.ReadFile(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	d := decode(t, body).(doc)["Data"].(doc)
	d["IsMerging"], d["IsModifying"] = false, false
	d["Labels"] = []any{doc{"Id": "l_prod01", "Name": "prod"}}
	d["AlarmStats"] = doc{"Alarming": false, "RecentlyTriggerCount": json.Number("0"),
		"RuleToRecentlyTriggerCount": doc{}, "OpenMonitor": true, "AlarmContent": "null", "Target": "null"}
	d["Steps"] = []any{
		newStep(1, "PRE_CHECK", "预检查", "FINISHED", 100),
		newStep(2, "STRUCT_TRANSFER", "结构迁移", "FINISHED", 100),
		newStep(3, "FULL_TRANSFER", "全量迁移", "RUNNING", 40),
		newStep(4, "INCR_TRANSFER", "增量同步", "INIT", 0),
	}
	step(d, "FULL_TRANSFER")["StepInfo"] = doc{"processedRecords": json.Number("1000"), "capacity": json.Number("2500")}
	return d
}

func newStep(order int, name, desc, status string, progress int) doc {
	return doc{"Order": json.Number(fmt.Sprint(order)), "Name": name, "Description": desc, "Status": status,
		"Progress": json.Number(fmt.Sprint(progress)), "StartTime": "2023-07-13T06:30:00", "FinishTime": "null",
		"ExtraInfo": doc{"ErrorDetails": []any{}, "ErrorCode": "null", "ErrorMsg": "null", "ErrorParam": doc{}}, "StepInfo": doc{}}
}

// step returns the step named name of a raw Data object.
func step(d doc, name string) doc {
	for _, s := range d["Steps"].([]any) {
		if s.(doc)["Name"] == name {
			return s.(doc)
		}
	}
	panic("no step " + name)
}

func stepExtra(d doc, name string) doc { return step(d, name)["ExtraInfo"].(doc) }

func errorDetail(code, level, msg, reason, proposal string) doc {
	return doc{"Code": code, "Level": level, "Message": msg, "Reason": reason, "Proposal": proposal,
		"ExtraContext": doc{}, "MessageMcmsKey": "null"}
}

// envelope wraps Data the way the cloud API answers.
func envelope(d doc) doc {
	return doc{"Success": true, "Code": "null", "Message": "null", "RequestId": "0D7F1C2E-GOLD-4E1A-9C55-7A1B2C3D4E5F",
		"Cost": "3", "Data": d}
}

// later stamps a new snapshot five minutes after base's GmtModified, which
// is telemetry and becomes the events' time.
func later(d doc) doc {
	d["GmtModified"] = "2023-07-13T06:31:15"
	return d
}

// indented marshals a document readably.
func indented(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// edited builds a case input: base, then the edits, wrapped in an envelope.
func edited(edits ...func(doc)) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		d := base(t)
		for _, e := range edits {
			e(d)
		}
		return indented(t, envelope(d))
	}
}

// changed is edited with the new snapshot stamped later.
func changed(edits ...func(doc)) func(t *testing.T) []byte {
	return edited(append([]func(doc){func(d doc) { later(d) }}, edits...)...)
}

// writeCases regenerates the inputs of every case under testdata/diff.
func writeCases(t *testing.T) {
	t.Helper()
	cases := append(handCases(), simCases(t)...)
	for _, c := range cases {
		dir := filepath.Join(goldenDir, c.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var old []byte
		if c.old != nil {
			old = c.old(t)
		}
		for name, b := range map[string][]byte{"old.json": old, "new.json": c.new(t)} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// onPrem respells an input in on-premise camelCase.
func onPrem(f func(t *testing.T) []byte) func(t *testing.T) []byte {
	return func(t *testing.T) []byte { return indented(t, oms.Respell(decode(t, f(t)), oms.OnPrem)) }
}

// bare drops the envelope: the bare Data object.
func bare(f func(t *testing.T) []byte) func(t *testing.T) []byte {
	return func(t *testing.T) []byte { return indented(t, decode(t, f(t)).(doc)["Data"]) }
}

// diffDocs diffs two edited copies of base (old nil: first sight).
func diffDocs(t *testing.T, old, cur func(t *testing.T) []byte) []event.Event {
	t.Helper()
	var prev *oms.Snapshot
	if old != nil {
		prev = mustParse(t, old(t))
	}
	res, err := Diff(prev, mustParse(t, cur(t)), Observation{Source: "file://", Time: time.Unix(0, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	return res.Events
}

// brief writes events as "type field=value ..." lines (the named fields
// only), so a table can say what it wants in one string.
func brief(events []event.Event, fields ...string) string {
	var lines []string
	for _, e := range events {
		s := e.Type + " " + string(e.Severity)
		for _, f := range fields {
			if v, ok := e.Data.Fields[f]; ok {
				s += fmt.Sprintf(" %s=%v", f, v)
			}
		}
		lines = append(lines, s)
	}
	return strings.Join(lines, "\n")
}
