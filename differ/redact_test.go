package differ

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/omswatch/omswatch/oms"
)

// A redacted canonical tree is canonical: its JSON written as it is
// (oms.CanonicalJSON, what the observation log keeps of a keyframe) is
// what canonicalising it again gives, and its secrets are masked.
func TestRedactedTreeStaysCanonical(t *testing.T) {
	inputs, _ := filepath.Glob("../testdata/oms/canonical/*/input.json")
	inputs = append(inputs, seedPath)
	masked := 0
	for _, p := range inputs {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := oms.ParseSnapshot(body)
		if err != nil {
			continue // the corpus includes refused answers
		}
		red := Redact(s.Tree())
		again, err := oms.Canonicalize(red)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got := oms.CanonicalJSON(red)
		if !bytes.Equal(got, again.JSON()) {
			t.Errorf("%s: the redacted tree's JSON differs from its canonical JSON:\n%s\n%s", p, got, again.JSON())
		}
		if !bytes.Equal(got, s.JSON()) {
			masked++
		}
	}
	if masked == 0 {
		t.Fatal("no input had anything to redact: the test does not cover a redaction")
	}
}
