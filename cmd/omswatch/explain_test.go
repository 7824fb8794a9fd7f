package main

import (
	"strings"
	"testing"
)

// TestExplainCommand: explain reads the store offline as history does,
// says what it knows of an event stored before records were kept, and
// refuses what it cannot answer with exit 2 and a sentence.
func TestExplainCommand(t *testing.T) {
	cfg := historyStore(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout, or in stderr when the exit is not 0
	}{
		{"an event by the start of its id", []string{"np_1", "--event", historyEvents()[3].ID[:10]}, exitOK,
			"no decision was recorded with this event (stored before decision records were kept)"},
		{"a time", []string{"np_1", "--at", "2026-01-01T00:00:04Z"}, exitOK, "project np_1 at 2026-01-01T00:00:04Z"},
		{"an unknown event", []string{"np_1", "--event", "ffff"}, exitUsage, "no event of project np_1 has that id"},
		{"an unknown rule", []string{"np_1", "--rule", "nope"}, exitUsage, `--rule "nope": no such condition`},
		{"two questions at once", []string{"np_1", "--rule", "a", "--at", "1h"}, exitUsage, "at most one of --at, --event and --rule"},
		{"a project never seen", []string{"np_nope"}, exitFailure, "project np_nope is not in the audit trail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"explain", "--config", cfg}, tc.args...)...)
			got := out
			if tc.code != exitOK {
				got = errOut
			}
			if code != tc.code || !strings.Contains(got, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errOut, tc.code, tc.want)
			}
		})
	}
}
