package differ

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
)

var update = flag.Bool("update", false, "rewrite testdata/diff: the generated inputs and the golden events")

const goldenDir = "../testdata/diff"

// TestGolden diffs every testdata/diff/<case>/{old,new}.json pair and
// compares the events, one JSON object a line, with events.golden.jsonl.
// The event time follows omswatch diff's rule (NEW's GmtModified, else the
// Unix epoch) and the source is file://, so the CLI prints the same bytes.
func TestGolden(t *testing.T) {
	if *update {
		writeCases(t)
	}
	dirs, err := filepath.Glob(filepath.Join(goldenDir, "*"))
	if err != nil || len(dirs) < 30 {
		t.Fatalf("want at least 30 golden cases in %s, found %d (%v)", goldenDir, len(dirs), err)
	}
	seen := map[string]bool{}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got := goldenEvents(t, dir)
			path := filepath.Join(dir, "events.golden.jsonl")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("events differ from %s (run go test ./differ -update after checking):\n got:\n%s\nwant:\n%s", path, got, want)
			}
			for _, line := range bytes.Split(bytes.TrimSpace(got), []byte("\n")) {
				var e event.Event
				if len(line) > 0 && e.UnmarshalJSON(line) == nil {
					seen[e.Type] = true
				}
			}
		})
	}
	for _, typ := range emittedTypes() {
		if !seen[typ] {
			t.Errorf("no golden case shows %s", typ)
		}
	}
}

// emittedTypes are the catalog types Diff emits (removed comes from Removed;
// conditions and polls from other stages).
func emittedTypes() []string {
	return []string{event.TypeProjectDiscovered, event.TypeProjectStatusChanged,
		event.TypeProjectMetadataChanged, event.TypeStepStatusChanged, event.TypeStepProgressChanged,
		event.TypeStepErrorRaised, event.TypeStepErrorCleared, event.TypeStepErrorChanged, event.TypeAlarmTriggered,
		event.TypeAlarmCleared, event.TypeConfigChanged, event.TypeWorkerExpired, event.TypeProjectChanged}
}

// goldenEvents diffs a case directory as omswatch diff does.
func goldenEvents(t *testing.T, dir string) []byte {
	t.Helper()
	prev := readCase(t, filepath.Join(dir, "old.json"), true)
	cur := readCase(t, filepath.Join(dir, "new.json"), false)
	at := cur.Project().Modified
	if at.IsZero() {
		at = time.Unix(0, 0).UTC()
	}
	res, err := Diff(prev, cur, Observation{Source: "file://", Time: at})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, e := range res.Events {
		if err := e.Validate(); err != nil {
			t.Errorf("invalid event %s: %v", e.Type, err)
		}
		b, err := e.JSON()
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func readCase(t *testing.T, path string, emptyIsNone bool) *oms.Snapshot {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if emptyIsNone && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	s, err := oms.ParseSnapshot(body)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

func readFileOK(path string) ([]byte, error) { return os.ReadFile(path) }
