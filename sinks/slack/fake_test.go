package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"
)

// fakeClock advances only when slept on, so rate limits and Retry-After
// are checked without waiting.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.mu.Lock()
		c.now = c.now.Add(d)
		c.mu.Unlock()
	}
	return ctx.Err()
}

// request is one call the fake Slack received.
type request struct {
	Method, Channel, Text, Blocks, ThreadTS, TS string
	Attachments                                 string
	Broadcast                                   bool
	At                                          time.Time
}

// fakeSlack is slacktest's server with recording handlers for the methods
// it lacks (chat.update) or does not record (chat.postMessage), and for an
// incoming webhook; answer decides each response.
type fakeSlack struct {
	mu     sync.Mutex
	clock  *fakeClock
	reqs   []request
	nextTS int
	// answer returns the status, Retry-After and Slack error of the n-th
	// request (counting from 1); zero values mean ok.
	answer func(n int, r request) (status int, retryAfter string, slackErr string)
	srv    *slacktest.Server
}

func newFakeSlack(t *testing.T, clock *fakeClock) *fakeSlack {
	t.Helper()
	f := &fakeSlack{clock: clock, nextTS: 100}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", f.handler("chat.postMessage"))
		c.Handle("/chat.update", f.handler("chat.update"))
		c.Handle("/hooks/T000/B000/s3cr3t-hook-path", f.handler("webhook"))
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) apiURL() string { return f.srv.GetAPIURL() }
func (f *fakeSlack) hookURL() string {
	return "http://" + f.srv.ServerAddr + "/hooks/T000/B000/s3cr3t-hook-path"
}

func (f *fakeSlack) handler(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := request{Method: method, At: f.clock.Now()}
		if method == "webhook" {
			var body struct {
				Text   string          `json:"text"`
				Blocks json.RawMessage `json:"blocks"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			req.Text, req.Blocks = body.Text, unescapeJSON(string(body.Blocks))
		} else {
			_ = r.ParseForm()
			req.Channel, req.Text, req.Blocks = r.FormValue("channel"), r.FormValue("text"), unescapeJSON(r.FormValue("blocks"))
			req.Attachments = unescapeJSON(r.FormValue("attachments"))
			req.ThreadTS, req.TS, req.Broadcast = r.FormValue("thread_ts"), r.FormValue("ts"), r.FormValue("reply_broadcast") == "true"
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, req)
		n := len(f.reqs)
		answer := f.answer
		f.nextTS++
		ts := "1700000000." + strconv.Itoa(f.nextTS)
		f.mu.Unlock()
		if answer != nil {
			status, retry, slackErr := answer(n, req)
			if retry != "" {
				w.Header().Set("Retry-After", retry)
			}
			if status != 0 {
				w.WriteHeader(status)
				return
			}
			if slackErr != "" {
				fmt.Fprintf(w, `{"ok":false,"error":%q}`, slackErr)
				return
			}
		}
		if method == "webhook" {
			fmt.Fprint(w, "ok")
			return
		}
		if method == "chat.update" {
			ts = req.TS
		}
		fmt.Fprintf(w, `{"ok":true,"channel":"C0CHANNEL","ts":%q}`, ts)
	}
}

// requests returns what was received, optionally of one method.
func (f *fakeSlack) requests(method string) []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []request
	for _, r := range f.reqs {
		if method == "" || r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// unescapeJSON undoes encoding/json's HTML escaping, so tests read blocks
// as Slack renders them.
func unescapeJSON(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}
