package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiffPrintsGoldenEvents runs omswatch diff on every pair of
// testdata/diff and wants exactly the golden events on stdout.
func TestDiffPrintsGoldenEvents(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/diff/*")
	if err != nil || len(dirs) < 30 {
		t.Fatalf("want at least 30 golden cases, found %d (%v)", len(dirs), err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, "events.golden.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runCLI(t, "diff", "--format", "json", filepath.Join(dir, "old.json"), filepath.Join(dir, "new.json"))
			if code != exitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if out != string(want) {
				t.Fatalf("stdout differs from the golden events:\n got:\n%s\nwant:\n%s", out, want)
			}
		})
	}
}

func TestDiffText(t *testing.T) {
	dir := "../../testdata/diff/many_changes_ordered"
	code, out, errOut := runCLI(t, "diff", "--format", "text", filepath.Join(dir, "old.json"), filepath.Join(dir, "new.json"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	wantPrefixes := []string{
		"2023-07-13T06:31:15Z critical oms.project.status_changed orders_v2 (np_fe****): status RUNNING -> FAILED",
		"2023-07-13T06:31:15Z info     oms.project.metadata_changed orders_v2 (np_fe****): metadata changed: Name",
		"2023-07-13T06:31:15Z critical oms.step.status_changed orders_v2 (np_fe****): step FULL_TRANSFER (full) RUNNING -> FAILED, 40%",
		"2023-07-13T06:31:15Z critical oms.step.error_raised orders_v2 (np_fe****): step FULL_TRANSFER error CM-RESOAT1111: A system error occurred.",
		"2023-07-13T06:31:15Z info     oms.step.progress_changed orders_v2 (np_fe****): step INCR_TRANSFER (incr) progress 0% -> 5%",
		"2023-07-13T06:31:15Z warning  oms.alarm.triggered orders_v2 (np_fe****): alarm triggered: migration failed (1 new); 1 recent alarm: FULL_TRANSFER failed",
		"2023-07-13T06:31:15Z info     oms.config.changed orders_v2 (np_fe****): configuration changed: FullTransferConfig",
		"2023-07-13T06:31:15Z info     oms.project.changed orders_v2 (np_fe****): changed: /GmtFinish",
	}
	if len(lines) != len(wantPrefixes) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(wantPrefixes), out)
	}
	for i, w := range wantPrefixes {
		if lines[i] != w {
			t.Errorf("line %d:\n got %q\nwant %q", i, lines[i], w)
		}
	}
}

func TestDiffInputErrors(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := "../../testdata/diff/identical/new.json"
	empty := write("empty.json", "")
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"old not json", []string{"diff", write("bad.json", "{oops"), good}, "not valid JSON"},
		{"new truncated", []string{"diff", good, write("trunc.json", `{"Success":true,"Data":{"Id":"np_1"`)}, "truncated"},
		{"new success false", []string{"diff", good, write("fail.json", `{"Success":false,"Code":"PROJECT_NOT_FOUND_ERROR","Message":"no such project"}`)}, "PROJECT_NOT_FOUND_ERROR"},
		{"old success false onprem", []string{"diff", write("fail2.json", `{"success":false,"code":"INNER_ERROR"}`), good}, "INNER_ERROR"},
		{"new empty", []string{"diff", good, empty}, "empty"},
		{"missing file", []string{"diff", good, filepath.Join(tmp, "nope.json")}, "no such file"},
		{"other project", []string{"diff", good, write("other.json", `{"Id":"np_other","Status":"RUNNING"}`)}, "different projects"},
		{"no id", []string{"diff", empty, write("noid.json", `{"Status":"RUNNING"}`)}, "no project Id"},
		{"bad format", []string{"diff", "--format", "yaml", good, good}, `--format "yaml"`},
		{"bad time", []string{"diff", "--time", "yesterday", good, good}, `--time "yesterday"`},
		{"one argument", []string{"diff", good}, "accepts 2 arg(s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d (stderr %q)", code, exitUsage, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr %q: want one line mentioning %q", errOut, tc.wantErr)
			}
		})
	}
}

func TestDiffTimeFlag(t *testing.T) {
	dir := "../../testdata/diff/project_status_failed"
	code, out, _ := runCLI(t, "diff", "--format", "json", "--time", "2026-01-02T03:04:05+08:00", filepath.Join(dir, "old.json"), filepath.Join(dir, "new.json"))
	if code != exitOK || !strings.Contains(out, `"time":"2026-01-01T19:04:05Z"`) {
		t.Fatalf("exit %d, out %s", code, out)
	}
}
