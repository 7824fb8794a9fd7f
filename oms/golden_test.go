package oms

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files (and generated inputs) under testdata/oms/canonical")

const goldenDir = "../testdata/oms/canonical"

// goldenCase is one directory under testdata/oms/canonical. sameAs names a
// case of the same state, whose canonical JSON must be byte-identical;
// differs names a case whose state differs, whose digest must too.
type goldenCase struct {
	name, sameAs, differs string
}

func goldenCases() []goldenCase {
	return []goldenCase{
		{name: "seed"},
		{name: "seed_onprem", sameAs: "seed"},
		{name: "steps"},
		{name: "steps_reordered", sameAs: "steps"},
		{name: "steps_status_changed", differs: "steps"},
		{name: "errors"},
		{name: "errors_reordered", sameAs: "errors"},
		{name: "errors_changed", differs: "errors"},
		{name: "labels"},
		{name: "labels_reordered", sameAs: "labels"},
		{name: "labels_renamed", differs: "labels"},
		{name: "noise_clean"},
		{name: "noise_noisy", sameAs: "noise_clean"},
		{name: "dup_names"},
		{name: "dup_names_reordered", sameAs: "dup_names"},
		{name: "mapping_big"},
		{name: "mapping_big_reordered", sameAs: "mapping_big"},
		{name: "mapping_big_changed", differs: "mapping_big"},
	}
}

func TestCanonicalGolden(t *testing.T) {
	if *update {
		for name, body := range generatedInputs(t) {
			writeFile(t, filepath.Join(goldenDir, name, "input.json"), body)
		}
	}
	snaps := map[string]*Snapshot{}
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(goldenDir, tc.name)
			input := readFile(t, filepath.Join(dir, "input.json"))
			s := mustParse(t, input)
			snaps[tc.name] = s
			checkGolden(t, filepath.Join(dir, "canonical.golden.json"), s.JSON())
			checkIdempotent(t, s)
			checkOtherSpelling(t, input, s)
		})
	}
	for _, tc := range goldenCases() {
		s := snaps[tc.name]
		if other := snaps[tc.sameAs]; tc.sameAs != "" && s != nil && other != nil {
			if !bytes.Equal(s.JSON(), other.JSON()) || s.Digest() != other.Digest() {
				t.Errorf("%s and %s are the same state but their canonical JSON differs", tc.name, tc.sameAs)
			}
		}
		if other := snaps[tc.differs]; tc.differs != "" && s != nil && other != nil && s.Digest() == other.Digest() {
			t.Errorf("%s changes the state of %s but has the same digest", tc.name, tc.differs)
		}
	}
}

// checkGolden compares canonical JSON with a golden file, which holds it
// indented for review; compacting the file must give the bytes back.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", " "); err != nil {
		t.Fatalf("canonical JSON is not valid: %v", err)
	}
	pretty.WriteByte('\n')
	if *update {
		writeFile(t, path, pretty.Bytes())
		return
	}
	want := readFile(t, path)
	var compact bytes.Buffer
	if err := json.Compact(&compact, want); err != nil {
		t.Fatalf("golden %s is not JSON: %v", path, err)
	}
	if !bytes.Equal(compact.Bytes(), got) {
		t.Errorf("canonical JSON differs from %s (run go test ./oms -update to accept):\n got %.400s\nwant %.400s",
			path, got, compact.Bytes())
	}
}

func checkIdempotent(t *testing.T, s *Snapshot) {
	t.Helper()
	again := mustParse(t, s.JSON())
	if !bytes.Equal(again.JSON(), s.JSON()) || again.Digest() != s.Digest() {
		t.Errorf("canonicalising canonical JSON changed it:\n%.400s\n%.400s", s.JSON(), again.JSON())
	}
	tree, err := Canonicalize(s.Tree())
	if err != nil || !bytes.Equal(tree.JSON(), s.JSON()) {
		t.Errorf("Canonicalize(Tree()) = %v, changed the snapshot", err)
	}
}

// checkOtherSpelling respells the whole input in the other spelling and
// expects the very same canonical bytes.
func checkOtherSpelling(t *testing.T, input []byte, s *Snapshot) {
	t.Helper()
	v, err := decodeJSON(200, input)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range []Spelling{OnPrem, Cloud} {
		other := mustParse(t, marshalInput(t, Respell(v, sp)))
		if !bytes.Equal(other.JSON(), s.JSON()) {
			t.Errorf("respelled %v: canonical JSON differs", sp)
		}
	}
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
