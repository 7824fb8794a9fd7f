package slack_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks/slack"
)

const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// recordedActions keeps the actions the buttons asked for.
type recordedActions struct {
	mu    sync.Mutex
	calls []string
}

func (a *recordedActions) Acknowledge(_ context.Context, id, by, comment string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, "ack "+id+" by "+by+": "+comment)
	return "incident " + id + " acknowledged by " + by, nil
}

func (a *recordedActions) Silence(_ context.Context, project string, d time.Duration, by, comment string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, "silence "+project+" for "+d.String()+" by "+by+": "+comment)
	return "project " + project + " silenced", nil
}

// SignedInteraction is a block_actions interaction as Slack sends it:
// the payload form-encoded, signed with secret at ts.
func SignedInteraction(t *testing.T, target, secret string, ts time.Time, responseURL, actionID, value string) *http.Request {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]any{"id": "U024BE7LH", "name": "alice"},
		"response_url": responseURL, "actions": []any{map[string]any{"type": "button", "block_id": "omswatch_incident",
			"action_id": actionID, "value": value}}})
	if err != nil {
		t.Fatal(err)
	}
	body := "payload=" + url.QueryEscape(string(payload))
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + stamp + ":" + body))
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

// A button press is done only when Slack signed it (the signing secret,
// a timestamp within 5 minutes): the request is answered at once and the
// outcome told to the user through the response_url. A bad signature or
// an old request is refused with 401 and does nothing.
func TestInteractionsAreSigned(t *testing.T) {
	var mu sync.Mutex
	var responses []string
	respond := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		responses = append(responses, string(b))
		mu.Unlock()
	}))
	defer respond.Close()
	now := time.Now() // Slack's verifier compares with the wall clock
	cases := []struct {
		name             string
		secret           string
		at               time.Time
		action, value    string
		status           int
		wantCall, wantUI string
	}{
		{"acknowledge", signingSecret, now, slack.ActionAck, "inc-0001", http.StatusOK,
			"ack inc-0001 by alice: from Slack", "incident inc-0001 acknowledged by alice"},
		{"silence 1 h", signingSecret, now, slack.ActionSilence1h, "np_1", http.StatusOK,
			"silence np_1 for 1h0m0s by alice: from Slack, for 1 h", "project np_1 silenced"},
		{"silence 4 h", signingSecret, now, slack.ActionSilence4h, "np_1", http.StatusOK,
			"silence np_1 for 4h0m0s by alice: from Slack, for 4 h", "project np_1 silenced"},
		{"open console is a link", signingSecret, now, slack.ActionConsole, "np_1", http.StatusOK, "", ""},
		{"bad signature", "another-secret", now, slack.ActionAck, "inc-0001", http.StatusUnauthorized, "", ""},
		{"old timestamp", signingSecret, now.Add(-6 * time.Minute), slack.ActionAck, "inc-0001", http.StatusUnauthorized, "", ""},
		{"timestamp in the future", signingSecret, now.Add(6 * time.Minute), slack.ActionSilence4h, "np_1", http.StatusUnauthorized, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			acts := &recordedActions{}
			mu.Lock()
			responses = nil
			mu.Unlock()
			h, err := slack.NewInteractions(slack.InteractionOptions{SigningSecret: signingSecret, Actions: acts})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			res, err := http.DefaultClient.Do(SignedInteraction(t, srv.URL, tc.secret, tc.at, respond.URL, tc.action, tc.value))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			h.Wait()
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d", res.StatusCode, tc.status)
			}
			if got := strings.Join(acts.calls, "\n"); got != tc.wantCall {
				t.Errorf("actions %q, want %q", got, tc.wantCall)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case tc.wantUI == "" && len(responses) > 0:
				t.Errorf("told the user %q", responses)
			case tc.wantUI != "" && (len(responses) != 1 || !strings.Contains(responses[0], tc.wantUI) ||
				!strings.Contains(responses[0], `"response_type":"ephemeral"`)):
				t.Errorf("told the user %q, want %q (ephemeral)", responses, tc.wantUI)
			}
		})
	}
}

// The parent message of an incident has the buttons its state allows:
// Acknowledge while it fires, Silence 1 h / 4 h until it resolves (with a
// signing secret: the app's interactions are served), Open console to the
// project's page when the console's address is known. An app token
// (Socket Mode) serves the interactions as the signing secret does.
func TestIncidentButtons(t *testing.T) {
	cases := []struct {
		name       string
		secret     string // the signing secret, or an app token when it starts with xapp-
		consoleURL string
		state      string
		want, not  []string
	}{
		{"no interactions, no console", "", "", "firing", nil,
			[]string{slack.ActionAck, slack.ActionSilence1h, slack.ActionConsole}},
		{"firing", signingSecret, "https://omswatch.example.com/", "firing",
			[]string{`"text":"Acknowledge","emoji":false},"action_id":"omswatch_ack","value":"inc-0001"`,
				`"text":"Silence this project 1 h","emoji":false},"action_id":"omswatch_silence_1h","value":"np_1"`,
				`"text":"Silence this project 4 h","emoji":false},"action_id":"omswatch_silence_4h","value":"np_1"`,
				`"text":"Open console","emoji":false},"action_id":"omswatch_console","url":"https://omswatch.example.com/projects/np_1"`},
			nil},
		{"acknowledged", signingSecret, "", "acknowledged", []string{slack.ActionSilence1h, slack.ActionSilence4h},
			[]string{slack.ActionAck, slack.ActionConsole}},
		{"resolved", signingSecret, "https://omswatch.example.com", "resolved", []string{slack.ActionConsole},
			[]string{slack.ActionAck, slack.ActionSilence1h}},
		{"console only", "", "https://omswatch.example.com", "firing", []string{slack.ActionConsole},
			[]string{slack.ActionAck, slack.ActionSilence1h}},
		{"socket mode", "xapp-1-A0123-4567-abcdef", "", "firing",
			[]string{`"action_id":"omswatch_ack","value":"inc-0001"`, `"action_id":"omswatch_silence_4h","value":"np_1"`},
			[]string{slack.ActionConsole}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			f := newFakeSlack(t, clock)
			cfg := slack.Config{Token: secret.New(botToken), APIURL: f.apiURL(), SigningSecret: secret.New(tc.secret), ConsoleURL: tc.consoleURL}
			if strings.HasPrefix(tc.secret, "xapp-") {
				cfg.SigningSecret, cfg.AppToken = secret.String{}, secret.New(tc.secret)
			}
			c, err := slack.NewClient(cfg, slack.ClientOptions{Clock: clock, Threads: &slack.MemThreads{}})
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.Target("oncall", slack.Target{Channel: "#oms-alerts"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			e := incEvent(event.TypeIncidentOpened, tc.state, event.Critical, 1, 0, nil)
			if err := s.Send(t.Context(), notify(e)); err != nil {
				t.Fatal(err)
			}
			posts := f.requests("chat.postMessage")
			if len(posts) == 0 {
				t.Fatal("no parent message")
			}
			parent := posts[0].Attachments
			for _, w := range tc.want {
				if !strings.Contains(parent, w) {
					t.Errorf("the parent lacks %s:\n%s", w, parent)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(parent, n) {
					t.Errorf("the parent has %s:\n%s", n, parent)
				}
			}
		})
	}
}

// The same press again (Slack retrying, or a replay while its signature
// is good) is answered and done once; another press of the same button
// is done again.
func TestAPressIsDoneOnce(t *testing.T) {
	acts := &recordedActions{}
	h, err := slack.NewInteractions(slack.InteractionOptions{SigningSecret: signingSecret, Actions: acts})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	now := time.Now() // Slack's verifier compares with the wall clock
	for i, at := range []time.Time{now, now, now.Add(-time.Second)} {
		res, err := http.DefaultClient.Do(SignedInteraction(t, srv.URL, signingSecret, at, "", slack.ActionSilence1h, "np_1"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h.Wait()
		if res.StatusCode != http.StatusOK {
			t.Errorf("request %d: status %d", i, res.StatusCode)
		}
	}
	if len(acts.calls) != 2 {
		t.Errorf("actions %q; want 2 (the repeated request done once)", acts.calls)
	}
}

// Without a signing secret (Socket Mode only) ServeHTTP takes nothing,
// not even a request signed with the empty key.
func TestInteractionsWithoutSigningSecretRefuseHTTP(t *testing.T) {
	acts := &recordedActions{}
	h, err := slack.NewInteractions(slack.InteractionOptions{Actions: acts})
	if err != nil {
		t.Fatal(err)
	}
	if h.Signed() {
		t.Error("signed without a signing secret")
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := http.DefaultClient.Do(SignedInteraction(t, srv.URL, "", time.Now(), "", slack.ActionAck, "inc-0001"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	h.Wait()
	if res.StatusCode != http.StatusUnauthorized || len(acts.list()) != 0 {
		t.Errorf("status %d, actions %q; want 401 and none", res.StatusCode, acts.list())
	}
}
