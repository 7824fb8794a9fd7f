package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// test sends one marked message to each kind of target and prints the
// answer; a target that refuses it (Slack invalid_auth) is exit 1 with the
// reason, an unknown target exit 2.
func TestTestSendsOneMarkedMessage(t *testing.T) {
	d := startDeliveryTargets(t)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
	}))
	defer refusing.Close()
	dir := t.TempDir()
	write := func(name, apiURL string) string {
		cfg := filepath.Join(dir, name)
		doc := fmt.Sprintf(`oms: {mode: sim}
nats: {embedded: {port: -1}, targets: {events: {}}}
store: {dir: %s}
slack:
  token: %s
  api_url: %s/
  targets: {oncall: {channel: "#oms"}}
webhook:
  targets: {relay: {url: %s/hook, secret: %s}}
`, filepath.Join(dir, "data"), e2eToken, apiURL, d.receiver.URL, e2eHMAC)
		if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := write("ok.yaml", d.slack.URL)
	for _, tc := range []struct{ target, want string }{
		{"oncall", "target oncall: posted to #oms (channel C0E2E, ts 1700000000.000001)"},
		{"relay", "target relay: accepted (HTTP 2xx) the CloudEvent omswatch-test-"},
		{"events", "target events: published the CloudEvent omswatch-test-"},
		{"log", "target log: printed on stdout"},
	} {
		code, out, errOut := runCLI(t, "test", tc.target, "--config", cfg)
		if code != exitOK || !strings.Contains(out, tc.want) {
			t.Errorf("test %s: exit %d, stdout %q, stderr %q; want %q", tc.target, code, out, errOut, tc.want)
		}
	}
	if len(d.slackPosts) != 1 || !strings.Contains(d.slackPosts[0], "omswatch test message to target oncall") {
		t.Errorf("Slack got %q", d.slackPosts)
	}
	if len(d.webhook) != 1 || d.webhook[0].Type != "omswatch.test" || d.badSignatures != 0 {
		t.Errorf("the webhook got %+v (bad signatures %d)", d.webhook, d.badSignatures)
	}
	code, _, errOut := runCLI(t, "test", "oncall", "--config", write("refused.yaml", refusing.URL))
	if code != exitFailure || !strings.Contains(errOut, "invalid_auth") || strings.Contains(errOut, e2eToken) {
		t.Errorf("a refused token: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "test", "nope", "--config", cfg); code != exitUsage || !strings.Contains(errOut, `no target "nope"`) {
		t.Errorf("an unknown target: exit %d, stderr %q", code, errOut)
	}
}
