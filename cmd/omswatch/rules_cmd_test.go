package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/rules")

// rulesData is the rules issue's test data, relative to this package.
const rulesData = "../../testdata/rules"

// golden compares got with a golden file, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/omswatch -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update and review the diff)\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// inRepoRoot runs the test from the repository root, so that the file
// names in outputs are the ones a user types there.
func inRepoRoot(t *testing.T) {
	t.Helper()
	t.Chdir("../..")
}

func TestRulesTestGolden(t *testing.T) {
	inRepoRoot(t)
	code, out, errOut := runCLI(t, "rules", "test", "--config", "testdata/rules/test/rules.yaml",
		"testdata/rules/test/events.jsonl", "testdata/rules/test/condition.json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "testdata/rules/test/rules-test.golden", out)
}

func TestRulesTestErrors(t *testing.T) {
	inRepoRoot(t)
	dir := t.TempDir()
	notEvent := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(notEvent, []byte(`{"specversion":"0.3"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no config", []string{"rules", "test", "x.json"}, "--config FILE is required"},
		{"no events", []string{"rules", "test", "--config", "config/example.yaml"}, "requires at least 1 arg"},
		{"missing file", []string{"rules", "test", "--config", "config/example.yaml", filepath.Join(dir, "nope.json")}, "no such file"},
		{"not an event", []string{"rules", "test", "--config", "config/example.yaml", notEvent}, `specversion "0.3"`},
		{"bad rules", []string{"rules", "test", "--config", "testdata/rules/invalid/never-matches.yaml", notEvent}, "6 problems"},
	}
	unsetEnv(t, exampleEnv...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}

// TestValidateReportsRuleErrors: validate compiles the rules, and reports
// expressions that do not compile and matchers that never match at their
// file:line:column.
func TestValidateReportsRuleErrors(t *testing.T) {
	inRepoRoot(t)
	files, err := filepath.Glob("testdata/rules/invalid/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("rule corpus: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, out, errOut := runCLI(t, "validate", "--config", f)
			if code != exitUsage || out != "" {
				t.Fatalf("exit %d, stdout %q; want 2 and nothing", code, out)
			}
			for _, line := range strings.Split(strings.TrimSuffix(errOut, "\n"), "\n") {
				if !locatedOrSummary(line) {
					t.Errorf("message without file:line:column: %q", line)
				}
			}
			golden(t, strings.TrimSuffix(f, ".yaml")+".err", errOut)
		})
	}
}

func locatedOrSummary(line string) bool {
	if strings.HasPrefix(line, "omswatch: ") {
		return true
	}
	file, rest, ok := strings.Cut(line, ".yaml:")
	return ok && file != "" && len(rest) > 4 && rest[0] >= '1' && rest[0] <= '9'
}
