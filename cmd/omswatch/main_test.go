package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs the command line in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"version", []string{"version"}, exitOK, "omswatch ", ""},
		{"help", []string{"--help"}, exitOK, "Usage:", ""},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", "unknown command"},
		{"unknown flag", []string{"version", "--nope"}, exitUsage, "", "unknown flag"},
		{"extra argument", []string{"version", "x"}, exitUsage, "", `unknown command "x"`},
		{"unknown log level", []string{"--log-level", "verbose", "version"}, exitUsage, "", `--log-level "verbose": want debug, info, warn or error`},
		{"unknown log level, validate", []string{"validate", "--log-level", "verbose", "--config", "../../config/example.yaml"}, exitUsage, "", `--log-level "verbose"`},
		{"unknown log format", []string{"--log-format", "yaml", "version"}, exitUsage, "", `--log-format "yaml": want text or json`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.wantCode, errOut)
			}
			if !strings.Contains(out, tc.wantOut) {
				t.Errorf("stdout %q does not contain %q", out, tc.wantOut)
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut, tc.wantErr)
			}
		})
	}
}
