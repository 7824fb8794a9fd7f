package oms

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// BenchmarkCanonicalize measures ParseSnapshot (decode + canonicalise +
// encode + digest) on the seed and on a generated 5,000-table project,
// beside its baseline: encoding/json decoding the same bytes into any, and
// the fast decoder ParseSnapshot uses. "tree" is Canonicalize on an already
// decoded tree.
func BenchmarkCanonicalize(b *testing.B) {
	big, err := json.Marshal(bigProject(b, 10, 5000, rand.New(rand.NewPCG(3, 4)), -1))
	if err != nil {
		b.Fatal(err)
	}
	docs := []struct {
		name string
		body []byte
	}{
		{"seed", readFile(b, seedPath)},
		{"5000_tables", big},
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
		// decode_fast is sonic's JIT path. If it is not well under
		// baseline_decode, sonic has fallen back to its slow path (a Go
		// version or CPU it does not support) without saying so.
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
