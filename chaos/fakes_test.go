package chaos

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/internal/proctest"
)

// slackTemplate makes every Slack line name its event, so the test counts
// what Slack received per event id.
const slackTemplate = "evt {{.ID}} {{.Type}}"

// slackRequest is one Web API call the fake Slack received.
type slackRequest struct {
	Method string
	Form   url.Values
	Auth   string
	At     time.Time
}

// fakeSlack speaks the part of Slack's Web API omswatch uses
// (chat.postMessage, chat.update) and records every call; fail, when set,
// may answer a call with an HTTP status or a Slack error instead.
type fakeSlack struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []slackRequest
	ts   int
	fail func(n int, r slackRequest) (status int, slackErr string)
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{ts: 1000}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) apiURL() string { return f.srv.URL + "/api/" }

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	req := slackRequest{Method: strings.TrimPrefix(r.URL.Path, "/api/"), Form: r.PostForm, Auth: r.Header.Get("Authorization"), At: time.Now()}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	n := len(f.reqs)
	f.ts++
	ts := fmt.Sprintf("1700000000.%06d", f.ts)
	fail := f.fail
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if fail != nil {
		if status, slackErr := fail(n, req); status != 0 {
			if status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(status)
			return
		} else if slackErr != "" {
			fmt.Fprintf(w, `{"ok":false,"error":%q}`, slackErr)
			return
		}
	}
	if req.Method == "chat.update" {
		ts = req.Form.Get("ts")
	}
	fmt.Fprintf(w, `{"ok":true,"channel":"C0CHAOS01","ts":%q}`, ts)
}

func (f *fakeSlack) requests() []slackRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]slackRequest(nil), f.reqs...)
}

// eventTimes lists, per event id, when a message naming it was accepted
// (chat.postMessage answered ok; a status card's chat.update names none).
func (f *fakeSlack) eventTimes() map[string][]time.Time {
	out := map[string][]time.Time{}
	for _, r := range f.requests() {
		if r.Method != "chat.postMessage" {
			continue
		}
		for _, line := range strings.Split(r.Form.Get("text"), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "evt" {
				out[f[1]] = append(out[f[1]], r.At)
			}
		}
	}
	return out
}

func (f *fakeSlack) eventCounts() map[string]int { return countTimes(f.eventTimes()) }

func countTimes(m map[string][]time.Time) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}

// hookRequest is one POST the webhook received.
type hookRequest struct {
	Body   []byte
	Header http.Header
}

// fakeWebhook receives the webhook target's POSTs, checks their signature
// under secret, and counts each event id it answered 2xx for.
type fakeWebhook struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	reqs   []hookRequest
	ok     map[string][]time.Time
	badSig int
	fail   func(n int) int
}

func newFakeWebhook(t *testing.T, secret string) *fakeWebhook {
	h := &fakeWebhook{secret: secret, ok: map[string][]time.Time{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeWebhook) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs = append(h.reqs, hookRequest{Body: body, Header: r.Header.Clone()})
	if h.fail != nil {
		if st := h.fail(len(h.reqs)); st != 0 {
			w.WriteHeader(st)
			return
		}
	}
	if h.secret != "" {
		mac := hmac.New(sha256.New, []byte(h.secret))
		mac.Write(body)
		if r.Header.Get("X-Omswatch-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			h.badSig++
		}
	}
	var e struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &e) != nil || e.ID == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h.ok[e.ID] = append(h.ok[e.ID], time.Now())
}

func (h *fakeWebhook) counts() (map[string]int, int) {
	t, bad := h.times()
	return countTimes(t), bad
}

// times lists, per event id, when the webhook accepted it, and how many
// requests had a bad signature.
func (h *fakeWebhook) times() (map[string][]time.Time, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string][]time.Time, len(h.ok))
	for k, v := range h.ok {
		out[k] = append([]time.Time(nil), v...)
	}
	return out, h.badSig
}

func (h *fakeWebhook) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.reqs...)
}

// coreSubscriber counts what a core NATS subscriber received per event id
// (Nats-Msg-Id), and keeps the messages.
type coreSubscriber struct {
	mu   sync.Mutex
	seen map[string][]time.Time
	msgs []*nats.Msg
}

func subscribeCore(t *testing.T, nc *nats.Conn, subject string) *coreSubscriber {
	t.Helper()
	s := &coreSubscriber{seen: map[string][]time.Time{}}
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		s.mu.Lock()
		defer s.mu.Unlock()
		id := m.Header.Get("Nats-Msg-Id")
		s.seen[id] = append(s.seen[id], time.Now())
		s.msgs = append(s.msgs, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *coreSubscriber) counts() map[string]int { return countTimes(s.times()) }

func (s *coreSubscriber) times() map[string][]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]time.Time, len(s.seen))
	for k, v := range s.seen {
		out[k] = append([]time.Time(nil), v...)
	}
	return out
}

func (s *coreSubscriber) messages() []*nats.Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*nats.Msg(nil), s.msgs...)
}

// streamMsgs reads every message of a stream, trying again for up to a
// minute while the stream cannot be read (NATS restarting).
func streamMsgs(t *testing.T, js jetstream.JetStream, stream string) []*jetstream.RawStreamMsg {
	t.Helper()
	var out []*jetstream.RawStreamMsg
	proctest.Eventually(t, 60*time.Second, "stream "+stream+" read", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		out, err = proctest.StreamMsgs(ctx, js, stream)
		if err != nil {
			t.Logf("stream %s: %v", stream, err)
			return false
		}
		return true
	})
	return out
}

// streamIDs counts a stream's messages per Nats-Msg-Id.
func streamIDs(t *testing.T, js jetstream.JetStream, stream string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range streamMsgs(t, js, stream) {
		out[m.Header.Get("Nats-Msg-Id")]++
	}
	return out
}
