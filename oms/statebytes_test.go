package oms

import (
	"bytes"
	"path/filepath"
	"testing"
)

// The state written from the canonical JSON's index is, byte for byte,
// the tree without its telemetry encoded again: on the golden corpus,
// the seed, big projects and hand-made edge cases (the simulator's
// fleet: TestStateOfGeneratedProjects).
func TestStateFromTheIndexIsTheStateEncoded(t *testing.T) {
	var docs [][]byte
	inputs, _ := filepath.Glob(filepath.Join(goldenDir, "*", "input.json"))
	for _, p := range inputs {
		docs = append(docs, readFile(t, p))
	}
	for _, pair := range reusePairs(t, 40) {
		docs = append(docs, pair[0], pair[1])
	}
	checked := 0
	for _, d := range docs {
		s, err := ParseSnapshot(d)
		if err != nil {
			continue // the corpus includes refused answers
		}
		checkState(t, s)
		checked++
	}
	if checked < 40 {
		t.Fatalf("only %d snapshots checked", checked)
	}
	for _, doc := range []string{`{"Id":"a","ExtraInfo":{},"AlarmStats":{"Target":"x"},"GmtModified":"t"}`,
		`{"Id":"a","ExtraInfo":"text","Steps":"text","AlarmStats":[1]}`,
		`{"Id":"a","Steps":[{"Name":"X","StepInfo":{"a":1},"StartTime":"t"},{"Name":"Y"}],"ExtraInfo":{"SyncDelay":1,"Other":2}}`,
		`{"Id":"a","Steps":[{"Name":"X","StepInfo":{"a":1}}],"AlarmStats":{"Alarming":true,"AlarmContent":"c"}}`} {
		checkState(t, mustParse(t, []byte(doc)))
	}
}

func checkState(t *testing.T, s *Snapshot) {
	t.Helper()
	got, ok, want := StateBytes(s)
	if !ok {
		t.Fatalf("a parsed snapshot is not indexed where its state is: %.200s", s.JSON())
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("state from the index differs:\n%s\nwant\n%s", got, want)
	}
}
