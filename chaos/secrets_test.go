package chaos

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms/omssim"
)

func randomSecret(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// Scenario 8, secrets: a scenario run with a known AccessKey secret, Slack
// token, webhook secret and NATS password (a nats-server that requires the
// user and password), with error paths on the way (OMS answering 500s,
// Slack 429 and 500, the webhook 500, a SIGHUP reload, debug logging).
// Every log line, event (audit stream, the NATS targets), Slack message,
// webhook body, /metrics scrape and the history of the audit trail is
// searched for each secret: 0 occurrences. The secrets are shown to be in
// use (Slack got the token, the webhook's signatures verify under its
// secret, NATS and OMS accept nothing else), so a pass is not vacuous.
func TestSecretsNeverLeak(t *testing.T) {
	projects, ticks := size(6, 20), size(10, 24)
	secrets := map[string]string{
		"access key secret": randomSecret(t, "aksecret-"),
		"slack token":       randomSecret(t, "xoxb-chaos-"),
		"webhook secret":    randomSecret(t, "whsecret-"),
		"nats password":     randomSecret(t, "natspw-"),
	}
	w := newWorld(t, projects, ticks, 51, "chaos-secrets", secrets["access key secret"])
	ns := newNATS(t, natsOptions{name: "secrets", user: "omswatch", password: secrets["nats password"]})
	ns.start()
	nc, js := connect(t, ns.url(), "omswatch", secrets["nats password"])
	createDelivered(t, js, 1)
	core := subscribeCore(t, nc, "core.>")
	slack := newFakeSlack(t)
	slack.fail = func(n int, _ slackRequest) (int, string) {
		switch n {
		case 2:
			return http.StatusTooManyRequests, ""
		case 4:
			return http.StatusInternalServerError, ""
		}
		return 0, ""
	}
	hook := newFakeWebhook(t, secrets["webhook secret"])
	hook.fail = func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return 0
	}
	dir := t.TempDir()
	cfg := w.writeConfig(dir, cfgOptions{natsURL: ns.url(), natsUser: "omswatch", natsPassword: secrets["nats password"],
		slack: slack, slackToken: secrets["slack token"], hook: hook})
	want := w.expected(cfg)
	store := openStore(t, js, 1)
	p := newOmswatch(t, "run", dir, cfg, "--log-level", "debug")
	p.Start()
	w.watch(p)
	addr := p.HTTPAddr(addrTimeout)
	var scrapes []string
	w.drive(store, func(k int) {
		switch k {
		case 2:
			if err := w.sim.SetFaults([]omssim.Fault{{Kind: omssim.FaultHTTP500, Count: 1}, {Kind: omssim.FaultThrottle, Count: 1, Duration: 100 * time.Millisecond}}); err != nil {
				t.Fatal(err)
			}
		case ticks / 2:
			_ = p.Process().Signal(syscall.SIGHUP)
		}
		if code, body := proctest.Get(addr, "/metrics"); code == 200 {
			scrapes = append(scrapes, body)
		}
	})
	targets := map[string]func() map[string]int{
		"natsjs":   func() map[string]int { return streamIDs(t, js, "DELIVERED") },
		"natscore": core.counts,
		"slack":    slack.eventCounts,
		"hook":     func() map[string]int { c, _ := hook.counts(); return c },
	}
	waitDelivered(t, want, size(3*time.Minute, 6*time.Minute), targets)
	_, body := proctest.Get(addr, "/metrics")
	scrapes = append(scrapes, body)
	_, ready := proctest.Get(addr, "/readyz")
	scrapes = append(scrapes, ready)
	if !strings.Contains(p.Stderr(), "configuration reloaded") {
		t.Errorf("the SIGHUP reload was not logged")
	}
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
	auditCheck(t, js, want)
	history, err := exec.Command(bins.omswatch, "history", w.ids[0], "--config", cfg, "--format", "json", "--patch", "--log-level", "debug").CombinedOutput()
	if err != nil {
		t.Errorf("omswatch history: %v\n%s", err, history)
	}

	// The haystacks.
	hay := map[string][]string{}
	hay["log (stderr)"] = strings.Split(p.Stderr(), "\n")
	hay["stdout"] = strings.Split(p.Stdout(), "\n")
	hay["metrics and readyz"] = scrapes
	hay["history"] = strings.Split(string(history), "\n")
	for _, stream := range []string{"OMSWATCH_EVENTS", "DELIVERED", "OMSWATCH_DEADLETTER"} {
		if stream == "OMSWATCH_DEADLETTER" && len(deadLetters(t, js)) == 0 {
			continue
		}
		for _, m := range streamMsgs(t, js, stream) {
			hay[stream] = append(hay[stream], m.Subject+" "+fmt.Sprint(m.Header)+" "+string(m.Data))
		}
	}
	for _, m := range core.messages() {
		hay["core NATS"] = append(hay["core NATS"], m.Subject+" "+fmt.Sprint(m.Header)+" "+string(m.Data))
	}
	tokenSeen := 0
	for _, r := range slack.requests() {
		if r.Auth == "Bearer "+secrets["slack token"] || r.Form.Get("token") == secrets["slack token"] {
			tokenSeen++
		}
		form := r.Form
		form.Del("token") // the token is meant to reach Slack; the message must not carry it
		hay["slack"] = append(hay["slack"], r.Method+" "+form.Encode())
	}
	hooks := hook.requests()
	for _, r := range hooks {
		h := r.Header.Clone()
		h.Del("X-Omswatch-Signature")
		hay["webhook"] = append(hay["webhook"], fmt.Sprint(h)+" "+string(r.Body))
	}
	if tokenSeen == 0 || len(slack.requests()) == 0 {
		t.Errorf("Slack never received the token (%d requests): the test proves nothing", len(slack.requests()))
	}
	if _, bad := hook.counts(); bad > 0 || len(hooks) == 0 {
		t.Errorf("webhook: %d requests, %d with a bad signature", len(hooks), bad)
	}

	total, lines := 0, 0
	var places []string
	for place, items := range hay {
		lines += len(items)
		for _, item := range items {
			for what, s := range secrets {
				if n := strings.Count(item, s); n > 0 {
					total += n
					t.Errorf("the %s appears in %s: %s", what, place, proctest.Tail(item, 400))
				}
			}
		}
		places = append(places, fmt.Sprintf("%s=%d", strings.ReplaceAll(place, " ", "_"), len(items)))
	}
	sort.Strings(places)
	t.Logf("FIGURE secrets: mode=%s secrets=%d occurrences=%d items_searched=%d (%s) events=%d slack_requests=%d webhook_requests=%d",
		mode(), len(secrets), total, lines, strings.Join(places, " "), len(want), len(slack.requests()), len(hooks))
}
