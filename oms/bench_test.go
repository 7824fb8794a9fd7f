package oms

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// BenchmarkCanonicalize measures ParseSnapshot (decode + canonicalise +
// encode + digest) on the seed and on a generated 5,000-table project,
// beside its baseline: encoding/json decoding the same bytes into any, and
// the quick decoder ParseSnapshot uses (decode_fast). "tree" is Canonicalize on an already
// decoded tree. "reusing_first" is ParseSnapshotReusing without a previous
// snapshot (a poller's first describe); "reusing_one_changed" reuses the
// snapshot of the same document with one table (or, for the seed, one
// member) different.
func BenchmarkCanonicalize(b *testing.B) {
	big, err := json.Marshal(bigProject(b, 10, 5000, rand.New(rand.NewPCG(3, 4)), -1))
	if err != nil {
		b.Fatal(err)
	}
	bigChanged, err := json.Marshal(bigProject(b, 10, 5000, rand.New(rand.NewPCG(3, 4)), 2500))
	if err != nil {
		b.Fatal(err)
	}
	seed := readFile(b, seedPath)
	docs := []struct {
		name       string
		body, prev []byte
	}{
		{"seed", seed, bytes.Replace(seed, []byte(`"Status": "RUNNING"`), []byte(`"Status": "FAILED"`), 1)},
		{"5000_tables", big, bigChanged},
	}
	for _, d := range docs {
		b.Run(d.name+"/baseline_decode", func(b *testing.B) {
			b.SetBytes(int64(len(d.body)))
			for b.Loop() {
				if _, err := decodeStd(200, d.body); err != nil {
					b.Fatal(err)
				}
			}
		})
		// decode_fast is quickDecoder. If it is not well under
		// baseline_decode, something in the document sends it to
		// encoding/json (an unusual shape it does not read).
		b.Run(d.name+"/decode_fast", func(b *testing.B) {
			b.SetBytes(int64(len(d.body)))
			for b.Loop() {
				if _, err := decodeJSON(200, d.body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(d.name+"/parse", func(b *testing.B) {
			b.SetBytes(int64(len(d.body)))
			for b.Loop() {
				if _, err := ParseSnapshot(d.body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(d.name+"/reusing_first", func(b *testing.B) {
			b.SetBytes(int64(len(d.body)))
			for b.Loop() {
				if _, err := ParseSnapshotReusing(d.body, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(d.name+"/reusing_one_changed", func(b *testing.B) {
			prev, err := ParseSnapshotReusing(d.prev, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(d.body)))
			for b.Loop() {
				if _, err := ParseSnapshotReusing(d.body, prev); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(d.name+"/tree", func(b *testing.B) {
			v, err := decodeJSON(200, d.body)
			if err != nil {
				b.Fatal(err)
			}
			data := v.(map[string]any)["Data"]
			b.SetBytes(int64(len(d.body)))
			for b.Loop() {
				if _, err := Canonicalize(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
