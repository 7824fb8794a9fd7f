package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/service"
)

// TestReplayGolden replays every recording through config/example.yaml, whose
// conditions are the shipped defaults, and wants exactly the notifications
// of the golden files: the delay, stalled-checkpoint, failure and worker
// conditions firing and resolving on recorded time.
func TestReplayGolden(t *testing.T) {
	inRepoRoot(t)
	unsetEnv(t, exampleEnv...)
	recs, _ := filepath.Glob("testdata/recordings/*.jsonl")
	more, _ := filepath.Glob("testdata/rules/recordings/*.jsonl")
	recs = append(recs, more...)
	if len(recs) < 4 {
		t.Fatalf("recordings: %v", recs)
	}
	for _, rec := range recs {
		name := strings.TrimSuffix(filepath.Base(rec), ".jsonl")
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "replay", "--config", "config/example.yaml", rec)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, filepath.Join("testdata/rules/replay", name+".txt"), out)
		})
	}
}

func TestReplayJSON(t *testing.T) {
	inRepoRoot(t)
	unsetEnv(t, exampleEnv...)
	code, out, errOut := runCLI(t, "replay", "--config", "config/example.yaml", "--format", "json",
		"testdata/recordings/alarm-fires-and-clears.jsonl")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var v service.ReplayJSON
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %d is not a notification: %v", n+1, err)
		}
		if v.Time == "" || v.Target == "" || len(v.Events) == 0 || len(v.Payload) == 0 {
			t.Fatalf("line %d incomplete: %s", n+1, sc.Text())
		}
		n++
	}
	if n == 0 {
		t.Fatal("no notifications")
	}
	golden(t, "testdata/rules/replay/alarm-fires-and-clears.json", out)
}

func TestReplayErrors(t *testing.T) {
	inRepoRoot(t)
	unsetEnv(t, exampleEnv...)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad format", []string{"replay", "--config", "config/example.yaml", "--format", "yaml", "testdata/recordings/alarm-fires-and-clears.jsonl"}, `--format "yaml"`},
		{"not a recording", []string{"replay", "--config", "config/example.yaml", "config/example.yaml"}, "recording line 1"},
		{"no recording", []string{"replay", "--config", "config/example.yaml"}, "give a RECORDING, or --from-history"},
		{"recording and history", []string{"replay", "--config", "config/example.yaml", "--from-history", "/dev/null"}, "give a RECORDING, or --from-history"},
		{"bad since", []string{"replay", "--config", "config/example.yaml", "--from-history", "--since", "a week"}, `--since "a week"`},
		{"an empty file", []string{"replay", "--config", "config/example.yaml", "/dev/null"}, "no observations"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}

// A once run's history backtested with its own configuration differs in
// nothing (exit 0); a store that was never written is exit 1.
func TestReplayFromHistory(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "omswatch.yaml")
	doc := "oms: {mode: sim}\nnats: {embedded: {port: -1}}\nstore: {dir: " + filepath.Join(dir, "data") + "}\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "once", "--config", cfg); code != 0 {
		t.Fatalf("once: exit %d: %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "replay", "--config", cfg, "--from-history", "--since", "2000-01-01T00:00:00Z")
	if code != 0 || !strings.Contains(out, "No difference") || !strings.Contains(out, "Compared from 2000-01-01T00:00:00Z") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	none := filepath.Join(dir, "none.yaml")
	if err := os.WriteFile(none, []byte(strings.ReplaceAll(doc, "data", "nothing")), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "replay", "--config", none, "--from-history"); code != exitFailure || !strings.Contains(errOut, "no store at") {
		t.Fatalf("no store: exit %d, stderr %q", code, errOut)
	}
}
