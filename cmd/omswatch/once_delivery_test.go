package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/omswatch/omswatch/event"
)

// deliveryTargets are the receivers of the end-to-end test: a Slack Web
// API and a webhook that checks signatures.
type deliveryTargets struct {
	mu              sync.Mutex
	slackPosts      []string // thread_ts|text
	webhook         []event.Event
	badSignatures   int
	slack, receiver *httptest.Server
}

const (
	e2eToken = "xoxb-e2e-very-secret"
	e2eHMAC  = "hmac-e2e-very-secret"
)

func startDeliveryTargets(t *testing.T) *deliveryTargets {
	t.Helper()
	d := &deliveryTargets{}
	d.slack = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		d.mu.Lock()
		d.slackPosts = append(d.slackPosts, r.FormValue("thread_ts")+"|"+r.FormValue("text"))
		n := len(d.slackPosts)
		d.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":"C0E2E","ts":"1700000000.%06d"}`, n)
	}))
	d.receiver = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte(e2eHMAC))
		m.Write(body)
		d.mu.Lock()
		defer d.mu.Unlock()
		if r.Header.Get("X-Omswatch-Signature") != "sha256="+hex.EncodeToString(m.Sum(nil)) {
			d.badSignatures++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var e event.Event
		if err := e.UnmarshalJSON(body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		d.webhook = append(d.webhook, e)
	}))
	t.Cleanup(d.slack.Close)
	t.Cleanup(d.receiver.Close)
	return d
}

// once on the built-in simulator routes the 20 discoveries to a signed
// webhook and a NATS target, and to Slack as discovery.announce says:
// each (a card and a reply in each project's thread), summary (one
// message, and the projects with problems in their threads), none (only
// those); nothing to the log, and a second run delivers nothing again.
func TestOnceDeliversToEveryTarget(t *testing.T) {
	for _, announce := range []string{"each", "summary", "none"} {
		t.Run(announce, func(t *testing.T) { testOnceDelivers(t, announce) })
	}
}

func testOnceDelivers(t *testing.T, announce string) {
	d := startDeliveryTargets(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "omswatch.yaml")
	doc := fmt.Sprintf(`oms:
  mode: sim
discovery:
  announce: %s
nats:
  embedded:
    port: -1
  targets:
    events: {}
store:
  dir: %s
slack:
  token: %s
  api_url: %s/
  rate_limit: 1000/s
  targets:
    oncall:
      channel: "#oms"
webhook:
  targets:
    relay:
      url: %s/hook
      secret: %s
rules:
  routes:
    - name: discovered
      match:
        types: [oms.project.discovered]
      to: [oncall, relay, events]
`, announce, filepath.Join(dir, "data"), e2eToken, d.slack.URL, d.receiver.URL, e2eHMAC)
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "once", "--config", cfg, "--log-level", "debug")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, event.TypeProjectDiscovered) {
		t.Errorf("the log target printed routed events:\n%s", out)
	}
	d.mu.Lock()
	if len(d.webhook) != 20 || d.badSignatures != 0 {
		t.Errorf("webhook: %d events, %d bad signatures; want 20, 0", len(d.webhook), d.badSignatures)
	}
	withProblems := 0
	for _, e := range d.webhook {
		if p, _ := e.Data.Fields["problems"].([]any); len(p) > 0 {
			withProblems++
		}
	}
	threads := map[string]int{}
	summaries := 0
	for _, p := range d.slackPosts {
		ts, text, _ := strings.Cut(p, "|")
		threads[ts]++
		if strings.Contains(text, "omswatch is watching 20 new projects") {
			summaries++
		}
	}
	cards := map[string]int{"each": 20, "summary": withProblems, "none": withProblems}[announce]
	wantSummaries := map[string]int{"summary": 1}[announce]
	if len(d.slackPosts) != 2*cards+wantSummaries || threads[""] != cards+wantSummaries || len(threads) != cards+1 ||
		summaries != wantSummaries {
		t.Errorf("slack: %d posts (%d summaries) in %d threads, want %d cards and replies in their threads and %d summaries (%d projects with problems)",
			len(d.slackPosts), summaries, len(threads)-1, cards, wantSummaries, withProblems)
	}
	posts := len(d.slackPosts)
	t.Logf("FIGURE first-start announce=%s: slack %d messages (%d projects, %d with problems), webhook %d", announce,
		posts, len(d.webhook), withProblems, len(d.webhook))
	d.mu.Unlock()
	for _, s := range []string{e2eToken, e2eHMAC} {
		if strings.Contains(errOut+out, s) {
			t.Errorf("secret %q in the output", s)
		}
	}
	code, _, errOut = runCLI(t, "once", "--config", cfg)
	if code != exitOK {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.webhook) != 20 || len(d.slackPosts) != posts {
		t.Errorf("the second run delivered again: %d webhook events, %d slack posts", len(d.webhook), len(d.slackPosts))
	}
	code, hist, errOut := runCLI(t, "history", d.webhook[0].Subject, "--config", cfg)
	if code != exitOK || !strings.Contains(hist, event.TypeProjectDiscovered) {
		t.Errorf("history after once: exit %d %s\n%s", code, errOut, hist)
	}
}

// once whose Slack target refuses its token exits 1 and says, for that
// target, what was dead-lettered and why; the other targets' events are
// delivered.
func TestOnceSaysWhatATargetRefused(t *testing.T) {
	d := startDeliveryTargets(t)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
	}))
	defer refusing.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "omswatch.yaml")
	doc := fmt.Sprintf(`oms: {mode: sim}
discovery: {announce: each}
nats: {embedded: {port: -1}}
store: {dir: %s}
slack:
  token: %s
  api_url: %s/
  rate_limit: 1000/s
  targets: {oncall: {channel: "#oms"}}
webhook:
  targets: {relay: {url: %s/hook, secret: %s}}
rules:
  default_to: [oncall, relay]
`, filepath.Join(dir, "data"), e2eToken, refusing.URL, d.receiver.URL, e2eHMAC)
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "once", "--config", cfg)
	if code != exitFailure || !strings.Contains(errOut, "target oncall: 20 events dead-lettered (") ||
		!strings.Contains(errOut, "invalid_auth") || strings.Contains(errOut, "target relay") || strings.Contains(errOut, e2eToken) {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.webhook) != 20 {
		t.Errorf("the webhook got %d events, want the 20 discoveries", len(d.webhook))
	}
}
