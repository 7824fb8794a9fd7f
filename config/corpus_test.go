package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected .err files of testdata/config/invalid")

// corpusDir holds the broken configurations, each NN-name.yaml with its
// expected messages in NN-name.yaml.err.
const corpusDir = "../testdata/config/invalid"

// unsetCorpusEnv makes sure the variables the corpus expects to be unset
// are unset, whatever the environment the tests run in.
func unsetCorpusEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{"OMSWATCH_CORPUS_UNSET_ID", "OMSWATCH_CORPUS_UNSET_SECRET", "OMSWATCH_CORPUS_UNSET_LEVEL"} {
		t.Setenv(name, "") // restores the old value after the test
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
}

// locatedLine is what every message must look like: file:line:column: ...
var locatedLine = regexp.MustCompile(`^[^:\s]+\.yaml:[1-9][0-9]*:[1-9][0-9]*: \S`)

func TestInvalidCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("the corpus has %d files; it should have at least 30", len(files))
	}
	unsetCorpusEnv(t)
	// Load with names relative to the corpus directory, as a user running
	// `omswatch validate --config NN-name.yaml` there would see them.
	t.Chdir(corpusDir)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			cfg, err := LoadFile(name)
			if err == nil {
				t.Fatalf("loaded without error: %+v", cfg)
			}
			var list Errors
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is %T, want a non-empty config.Errors: %v", err, err)
			}
			got := err.Error() + "\n"
			for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				if !locatedLine.MatchString(line) {
					t.Errorf("message without file:line:column: %q", line)
				}
			}
			golden := name + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("no expected messages (run go test ./config -run TestInvalidCorpus -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("messages differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}
