package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
)

// `omswatch digest` on the store of a running omswatch (read through its
// server, which holds the store's lock) and, once it stopped, on the
// store opened here; run posts its own digest on the cron to the log
// target; bad flags are usage errors and a missing store a failure.
func TestDigestCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "omswatch.yaml")
	doc := "oms: {mode: sim}\nstore: {dir: " + filepath.Join(dir, "data") + "}\nnats: {embedded: {port: -1}}\n" +
		"http: {listen: \"127.0.0.1:0\"}\nincidents: {enabled: true}\ndigest: {to: [log], cron: \"@every 2s\"}\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"digest", "--config", cfg, "--format", "xml"}, {"digest", "--config", cfg, "--since", "yesterday"}} {
		if code, _, errOut := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d (%s), want %d", args, code, errOut, exitUsage)
		}
	}
	if code, _, errOut := runCLI(t, "digest", "--config", cfg); code != exitFailure || !strings.Contains(errOut, "no store at") {
		t.Errorf("digest before any run: exit %d, stderr %q", code, errOut)
	}

	c := startChild(t, "digest-run", dir, "run", "--config", cfg, "--log-format", "json", "--sim-tick", "200ms", "--sim-projects", "4")
	c.HTTPAddr(addrTimeout)
	proctest.Eventually(t, 60*time.Second, "digest of the 4 projects while run holds the store", func() bool {
		code, out, _ := runCLI(t, "digest", "--config", cfg)
		return code == exitOK && strings.Contains(out, "projects: 4:")
	})
	proctest.Eventually(t, 30*time.Second, "run's own digest on the log target", func() bool {
		return strings.Contains(c.Stdout(), "oms.watch.digest")
	})
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(60 * time.Second); code != exitOK {
		t.Fatalf("run: exit %d after SIGTERM", code)
	}
	code, out, errOut := runCLI(t, "digest", "--config", cfg, "--format", "json", "--since", "1h")
	var d struct {
		Projects int    `json:"projects"`
		Since    string `json:"since"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &d) != nil || d.Projects != 4 {
		t.Fatalf("digest of the stopped store: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	if since, err := time.Parse(time.RFC3339, d.Since); err != nil || time.Since(since) > 2*time.Hour {
		t.Errorf("since %q, want an hour ago", d.Since)
	}
}
