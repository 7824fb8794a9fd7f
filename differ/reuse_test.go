package differ

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/omswatch/omswatch/oms"
)

// checkReusingDiff diffs a and b (a empty: first sight) as the poll path
// does, the new response parsed with oms.ParseSnapshotReusing reusing the
// previous snapshot, whose unchanged subtrees it then shares, and expects
// exactly want, the result of the plain parses.
func checkReusingDiff(t testing.TB, a, b []byte, want Result) {
	t.Helper()
	var prev *oms.Snapshot
	if len(bytes.TrimSpace(a)) > 0 {
		var err error
		if prev, err = oms.ParseSnapshotReusing(a, nil); err != nil {
			t.Fatalf("ParseSnapshotReusing fails where ParseSnapshot does not: %v", err)
		}
	}
	cur, err := oms.ParseSnapshotReusing(b, prev)
	if err != nil {
		t.Fatalf("ParseSnapshotReusing fails where ParseSnapshot does not: %v", err)
	}
	got, err := Diff(prev, cur, obs)
	if err != nil {
		t.Fatalf("Diff of the reusing parses fails: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Diff of the reusing parses differs:\n got %+v\nwant %+v", got, want)
	}
}

// TestReusingDiffMatchesPlain checks the golden pairs and the benchmark's
// inputs: the poll path's parse gives the plain parse's patch and events.
func TestReusingDiffMatchesPlain(t *testing.T) {
	var pairs [][2][]byte
	dirs, _ := filepath.Glob(filepath.Join(goldenDir, "*"))
	for _, dir := range dirs {
		old, err := os.ReadFile(filepath.Join(dir, "old.json"))
		if err != nil {
			t.Fatal(err)
		}
		cur, err := os.ReadFile(filepath.Join(dir, "new.json"))
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, [2][]byte{old, cur})
	}
	for _, in := range benchInputs(t) {
		pairs = append(pairs, [2][]byte{in.old, in.new})
	}
	for _, p := range pairs {
		var prev *oms.Snapshot
		if len(bytes.TrimSpace(p[0])) > 0 {
			prev = mustParse(t, p[0])
		}
		want, err := Diff(prev, mustParse(t, p[1]), obs)
		if err != nil {
			t.Fatal(err)
		}
		checkReusingDiff(t, p[0], p[1], want)
	}
}

func mustParse(t testing.TB, body []byte) *oms.Snapshot {
	t.Helper()
	s, err := oms.ParseSnapshot(body)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
