package differ

import (
	"encoding/json"
	"testing"

	"github.com/wI2L/jsondiff"

	"github.com/omswatch/omswatch/oms"
)

// benchInput is one pair of DescribeProject responses, compact as OMS
// sends them.
type benchInput struct {
	name     string
	old, new []byte
}

// benchInputs are the three inputs: (a) a typical ~9 KB project
// with two step changes; (b) a 5,000-table (~1 MB) project with one table
// inserted mid-array and three tables changed; (c) the same 5,000-table
// project with only telemetry changed.
func benchInputs(b testing.TB) []benchInput {
	b.Helper()
	compact := func(d doc) []byte {
		out, err := json.Marshal(envelope(d))
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	typical := base(b)
	twoSteps := base(b)
	later(twoSteps)
	step(twoSteps, "FULL_TRANSFER")["Status"], step(twoSteps, "FULL_TRANSFER")["Progress"] = "FINISHED", json.Number("100")
	step(twoSteps, "INCR_TRANSFER")["Status"] = "RUNNING"
	big := base(b)
	withTables(big, 5000, -1)
	bigChanged := base(b)
	withTables(bigChanged, 5000, 2500, 10, 2000, 4001)
	later(bigChanged)
	bigTelemetry := base(b)
	withTables(bigTelemetry, 5000, -1)
	later(bigTelemetry)
	telemetry(bigTelemetry)
	return []benchInput{
		{"a_typical_2_steps", compact(typical), compact(twoSteps)},
		{"b_5000_tables_insert_3_changed", compact(big), compact(bigChanged)},
		{"c_5000_tables_telemetry", compact(big), compact(bigTelemetry)},
	}
}

// BenchmarkParseFloor is the baseline: encoding/json decoding both
// documents into any, which any JSON diff of the raw bytes has to pay.
func BenchmarkParseFloor(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.old) + len(in.new)))
			for b.Loop() {
				var x, y any
				if json.Unmarshal(in.old, &x) != nil || json.Unmarshal(in.new, &y) != nil {
					b.Fatal("unmarshal")
				}
			}
		})
	}
}

// BenchmarkJSONDiffRaw is jsondiff.CompareJSON on the raw documents with
// default options: positional arrays, so an insert shifts every table.
func BenchmarkJSONDiffRaw(b *testing.B) { benchRaw(b) }

// BenchmarkJSONDiffLCS is the same with LCS(), quadratic in array length:
// run it with a small -benchtime.
func BenchmarkJSONDiffLCS(b *testing.B) { benchRaw(b, jsondiff.LCS()) }

func benchRaw(b *testing.B, opts ...jsondiff.Option) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.old) + len(in.new)))
			var ops int
			for b.Loop() {
				p, err := jsondiff.CompareJSON(in.old, in.new, opts...)
				if err != nil {
					b.Fatal(err)
				}
				ops = len(p)
			}
			b.ReportMetric(float64(ops), "patch-ops")
		})
	}
}

// BenchmarkSemanticDiff is omswatch's whole path for one poll: the previous
// snapshot is held as the poller holds it, the one its previous describe
// parsed (with ParseSnapshotReusing, so it remembers its response); decode
// and canonicalise the new response reusing it, diff, build the events.
func BenchmarkSemanticDiff(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			prev, err := oms.ParseSnapshotReusing(in.old, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(in.old) + len(in.new)))
			var ops, events int
			for b.Loop() {
				cur, err := oms.ParseSnapshotReusing(in.new, prev)
				if err != nil {
					b.Fatal(err)
				}
				res, err := Diff(prev, cur, obs)
				if err != nil {
					b.Fatal(err)
				}
				ops, events = len(res.Patch), len(res.Events)
			}
			b.ReportMetric(float64(ops), "patch-ops")
			b.ReportMetric(float64(events), "events")
		})
	}
}

// BenchmarkRedact is the redacted copy of a whole snapshot, what the
// observation log keeps of a keyframe: every member's name is checked.
//
//	go test ./differ -run '^$' -bench Redact -benchmem
func BenchmarkRedact(b *testing.B) {
	for _, in := range benchInputs(b)[:2] {
		s, err := oms.ParseSnapshot(in.new)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Redact(s.Tree())
			}
		})
	}
}
