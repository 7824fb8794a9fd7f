package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// unsetEnv makes sure variables are unset for one test, whatever the
// environment the tests run in; t.Setenv restores them afterwards.
func unsetEnv(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		t.Setenv(name, "")
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
}

// exampleEnv is every variable config/example.yaml references. A fresh
// clone has none of them set, and the example must validate like that.
var exampleEnv = []string{
	"OMS_REGION", "OMS_ENDPOINT", "OMS_ACCESS_KEY_ID", "OMS_ACCESS_KEY_SECRET", "OMS_ACCESS_KEY_SECRET_FILE",
	"OMS_SECURITY_TOKEN", "OMS_SECURITY_TOKEN_FILE", "SLACK_BOT_TOKEN", "SLACK_DBA_WEBHOOK_URL", "RELAY_URL",
	"RELAY_HMAC_SECRET", "RELAY_HMAC_SECRET_FILE", "ALERTMANAGER_URL", "PAGERDUTY_ROUTING_KEY",
}

func TestValidateAcceptsShippedConfigs(t *testing.T) {
	unsetEnv(t, exampleEnv...)
	files, err := filepath.Glob("../../testdata/config/valid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid configs: %v", err)
	}
	files = append(files, "../../config/example.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, out, errOut := runCLI(t, "validate", "--config", f)
			if code != exitOK {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, errOut)
			}
			if !strings.HasPrefix(out, f+": ok\n") {
				t.Errorf("stdout does not start with %q:\n%s", f+": ok", out)
			}
			for _, want := range []string{"oms:", "discovery:", "rules:", "targets:", "log (log)"} {
				if !strings.Contains(out, want) {
					t.Errorf("summary lacks %q:\n%s", want, out)
				}
			}
			if errOut != "" {
				t.Errorf("stderr not empty: %s", errOut)
			}
		})
	}
}

func TestValidateSummaryOfExample(t *testing.T) {
	unsetEnv(t, exampleEnv...)
	code, out, _ := runCLI(t, "validate", "--config", "../../config/example.yaml")
	want := `../../config/example.yaml: ok
  oms:        cloud, region cn-hangzhou, endpoint https://oceanbasepro.cn-hangzhou.aliyuncs.com, credentials default_chain
  discovery:  0 projects + ListProjects (@every 5m), two_tier
  schedule:   @every 30s UTC, 1 group
  nats:       embedded
  rules:      4 routes, 6 conditions, 1 inhibition
  targets:    am (alertmanager), archive (nats), dba-team (slack), events (nats), log (log), oncall (slack), pd (pagerduty), relay (webhook)
`
	if code != exitOK || out != want {
		t.Fatalf("exit %d, stdout:\n%s\nwant:\n%s", code, out, want)
	}
}

// TestValidateRejectsInvalidCorpus runs validate on every broken file: exit
// 2, every message located, exactly the messages of the file's .err, then
// one line that counts them.
func TestValidateRejectsInvalidCorpus(t *testing.T) {
	unsetEnv(t, "OMSWATCH_CORPUS_UNSET_ID", "OMSWATCH_CORPUS_UNSET_SECRET", "OMSWATCH_CORPUS_UNSET_LEVEL")
	t.Chdir("../../testdata/config/invalid")
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) < 30 {
		t.Fatalf("the corpus has %d files (%v); want at least 30", len(files), err)
	}
	located := regexp.MustCompile(`^[^:\s]+\.yaml:[1-9][0-9]*:[1-9][0-9]*: \S`)
	for _, f := range files {
		t.Run(strings.TrimSuffix(f, ".yaml"), func(t *testing.T) {
			code, out, errOut := runCLI(t, "validate", "--config", f)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stdout %q", code, exitUsage, out)
			}
			want, err := os.ReadFile(f + ".err")
			if err != nil {
				t.Fatal(err)
			}
			n := strings.Count(string(want), "\n")
			problems := "problems"
			if n == 1 {
				problems = "problem"
			}
			wantErr := string(want) + fmt.Sprintf("omswatch: %s: %d %s\n", f, n, problems)
			if errOut != wantErr {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, wantErr)
			}
			for _, line := range strings.Split(strings.TrimSuffix(string(want), "\n"), "\n") {
				if !located.MatchString(line) {
					t.Errorf("message without file:line:column: %q", line)
				}
			}
			if out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
		})
	}
}

func TestValidateUsage(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no --config", []string{"validate"}, "validate: --config FILE is required"},
		{"empty --config", []string{"validate", "--config", ""}, "validate: --config FILE is required"},
		{"missing file", []string{"validate", "--config", "no-such.yaml"}, "read config no-such.yaml: no such file"},
		{"a directory", []string{"validate", "--config", "."}, "read config .: it is a directory"},
		{"an argument", []string{"validate", "--config", "x.yaml", "extra"}, `unknown command "extra"`},
		{"--config without a value", []string{"validate", "--config"}, "flag needs an argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d (stderr %q)", code, exitUsage, errOut)
			}
			if !strings.Contains(errOut, tc.wantErr) || out != "" {
				t.Errorf("stdout %q, stderr %q; want stderr containing %q", out, errOut, tc.wantErr)
			}
		})
	}
}

func TestValidateHelp(t *testing.T) {
	code, out, _ := runCLI(t, "validate", "--help")
	if code != exitOK || !strings.Contains(out, "FILE:LINE:COLUMN") || !strings.Contains(out, "--config") {
		t.Fatalf("exit %d, help:\n%s", code, out)
	}
}
