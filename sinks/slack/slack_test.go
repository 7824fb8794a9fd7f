package slack_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/sinktest"
	"github.com/omswatch/omswatch/sinks/slack"
)

const botToken = "xoxb-0000-very-secret"

func ev(project, name, typ string, sev event.Severity, i int, fields map[string]any) event.Event {
	src := "oms://cn-hangzhou"
	return event.Event{ID: event.NewID(src, project, typ, fmt.Sprint(i), "d"), Source: src, Type: typ, Subject: project,
		Time: time.Date(2026, 11, 24, 10, 0, i, 0, time.UTC), Severity: sev,
		Data: event.Data{Project: event.Project{ID: project, Name: name, Status: "RUNNING"}, Fields: fields}}
}

func discovered(project, name string, i int) event.Event {
	return ev(project, name, event.TypeProjectDiscovered, event.Info, i, map[string]any{"status": "RUNNING"})
}

func newSink(t *testing.T, f *fakeSlack, clock *fakeClock, threads slack.ThreadStore, cfg slack.Target, routes ...slack.RouteTemplates) *slack.Sink {
	t.Helper()
	c, err := slack.NewClient(slack.Config{Token: secret.New(botToken), APIURL: f.apiURL(),
		ProjectURL: setting.Template{Text: "https://oms.example.com/project/{{.Project.ID}}"}},
		slack.ClientOptions{Clock: clock, Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	var rt slack.RouteTemplates
	if len(routes) > 0 {
		rt = routes[0]
	}
	s, err := c.Target("oncall", cfg, rt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func notify(events ...event.Event) sinks.Notification {
	return sinks.Notification{Target: "oncall", Events: events}
}

// One thread per project per channel: the first notification posts the
// status card and replies under it; a changed status updates the card in
// place; critical replies are broadcast; a restart finds the thread in KV.
func TestThreadPerProjectWithStatusCard(t *testing.T) {
	clock := newFakeClock()
	f := newFakeSlack(t, clock)
	srv := sinktest.StartNATS(t, 0)
	_, js := sinktest.Connect(t, srv)
	threads, err := slack.NewKVThreads(t.Context(), js, "threads", 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := slack.Target{Channel: "#oms"}
	s := newSink(t, f, clock, threads, cfg)
	send := func(s *slack.Sink, n sinks.Notification) {
		t.Helper()
		if err := s.Send(t.Context(), n); err != nil {
			t.Fatal(err)
		}
	}
	running := &sinks.ProjectStatus{ID: "np_a", Name: "orders", Status: "RUNNING",
		Steps: []sinks.StepStatus{{Name: "FULL_TRANSFER", Status: "RUNNING", Progress: 40}}}
	n := notify(discovered("np_a", "orders", 1))
	n.Status = map[string]*sinks.ProjectStatus{"np_a": running}
	send(s, n)
	send(s, notify(discovered("np_b", "billing", 2)))
	failed := *running
	failed.Status, failed.LastError = "FAILED", "OMS-1001: disk full"
	n = notify(ev("np_a", "orders", event.TypeProjectStatusChanged, event.Critical, 3, map[string]any{"from": "RUNNING", "to": "FAILED"}))
	n.Status = map[string]*sinks.ProjectStatus{"np_a": &failed}
	send(s, n)
	// A restart: a new client over the same bucket keeps the thread.
	s2 := newSink(t, f, clock, threads, cfg)
	n.Events = []event.Event{ev("np_a", "orders", event.TypeStepProgressChanged, event.Info, 4, map[string]any{"step": "X", "from": 1, "to": 2})}
	send(s2, n)

	posts, updates := f.requests("chat.postMessage"), f.requests("chat.update")
	if len(posts) != 6 || len(updates) != 1 {
		t.Fatalf("%d posts and %d updates, want 6 and 1: %+v", len(posts), len(updates), posts)
	}
	cardA, replyA, cardB, replyB, critical, afterRestart := posts[0], posts[1], posts[2], posts[3], posts[4], posts[5]
	if cardA.ThreadTS != "" || !strings.Contains(cardA.Blocks, "<https://oms.example.com/project/np_a|orders>") ||
		!strings.Contains(cardA.Blocks, "▓▓▓▓░░░░░░") {
		t.Errorf("card of np_a: %+v", cardA)
	}
	if replyA.ThreadTS == "" || replyB.ThreadTS == replyA.ThreadTS || cardB.ThreadTS != "" {
		t.Errorf("threads: replyA %q replyB %q", replyA.ThreadTS, replyB.ThreadTS)
	}
	if critical.ThreadTS != replyA.ThreadTS || !critical.Broadcast || replyA.Broadcast {
		t.Errorf("critical reply: %+v", critical)
	}
	if u := updates[0]; u.TS != replyA.ThreadTS || !strings.Contains(u.Blocks, "FAILED") || !strings.Contains(u.Blocks, "disk full") {
		t.Errorf("update: %+v", u)
	}
	if afterRestart.ThreadTS != replyA.ThreadTS || afterRestart.Channel != "C0CHANNEL" {
		t.Errorf("after the restart the reply went to %q in %q", afterRestart.ThreadTS, afterRestart.Channel)
	}
}

// Text from OMS is escaped wherever it goes; the exact reply is asserted.
func TestMrkdwnInjectionIsEscaped(t *testing.T) {
	clock := newFakeClock()
	f := newFakeSlack(t, clock)
	s := newSink(t, f, clock, &slack.MemThreads{}, slack.Target{Channel: "#oms"})
	name := "<!channel> & <https://evil.example|click>"
	if err := s.Send(t.Context(), notify(discovered("np_x", name, 1))); err != nil {
		t.Fatal(err)
	}
	posts := f.requests("chat.postMessage")
	const want = ":new: <https://oms.example.com/project/np_x|*&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;*> `np_x` (cn-hangzhou) is watched now, status *RUNNING*"
	if got := posts[1].Text; got != want {
		t.Errorf("reply text\n got %s\nwant %s", got, want)
	}
	for _, p := range posts {
		if strings.Contains(p.Blocks+p.Text, "<!channel>") || strings.Contains(p.Blocks+p.Text, "<https://evil") {
			t.Errorf("unescaped text sent: %+v", p)
		}
	}
}

// Templates: the route's beat the target's, which beat the built-in ones.
func TestTemplatesPerTargetAndRoute(t *testing.T) {
	clock := newFakeClock()
	f := newFakeSlack(t, clock)
	s := newSink(t, f, clock, &slack.MemThreads{}, slack.Target{Channel: "#oms",
		Template: map[string]setting.Template{"oms.project.*": {Text: "target {{.Project.Name}}"}, "default": {Text: "target default"}}},
		slack.RouteTemplates{"pager": {"default": {Text: "PAGE {{.Data.status}} {{.Severity}}"}}})
	n := notify(discovered("np_a", "a&b", 1), ev("np_a", "a&b", event.TypeAlarmCleared, event.Info, 2, nil))
	if err := s.Send(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	n = notify(discovered("np_a", "a&b", 3))
	n.Route = "pager"
	if err := s.Send(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	posts := f.requests("chat.postMessage")
	if got := posts[1].Text; got != "target a&amp;b\ntarget default" {
		t.Errorf("target templates: %q", got)
	}
	if got := posts[2].Text; got != "PAGE RUNNING info" {
		t.Errorf("route template: %q", got)
	}
}

// Every type of the catalog has a default that renders.
func TestDefaultTemplateForEveryType(t *testing.T) {
	d := slack.DefaultTemplates()
	for _, typ := range event.Types() {
		if d[typ] == "" {
			t.Errorf("no default template for %s", typ)
		}
	}
}

// A burst of 50 notifications to one channel goes out one per second, in
// order, none dropped.
func TestOneMessagePerSecondPerChannel(t *testing.T) {
	clock := newFakeClock()
	f := newFakeSlack(t, clock)
	s := newSink(t, f, clock, &slack.MemThreads{}, slack.Target{Channel: "#oms"})
	start := clock.Now()
	for i := range 50 {
		if err := s.Send(t.Context(), notify(ev("np_a", "a", event.TypeStepProgressChanged, event.Info, i,
			map[string]any{"step": "S", "from": i, "to": i + 1}))); err != nil {
			t.Fatal(err)
		}
	}
	posts := f.requests("chat.postMessage")
	if len(posts) != 51 { // the card, then 50 replies
		t.Fatalf("%d posts, want 51", len(posts))
	}
	for i := 1; i < len(posts); i++ {
		if gap := posts[i].At.Sub(posts[i-1].At); gap < time.Second {
			t.Errorf("posts %d and %d %s apart", i-1, i, gap)
		}
		if i >= 1 && i < 51 && !strings.Contains(posts[i].Text, fmt.Sprintf("%d%% → %d%%", i-1, i)) {
			t.Errorf("post %d out of order: %q", i, posts[i].Text)
		}
	}
	if took := clock.Now().Sub(start); took < 50*time.Second {
		t.Errorf("51 posts took %s", took)
	}
}

// A 429 waits for its Retry-After (no request before it expires) and is
// not a failure; 5xx are transient; invalid_auth and channel_not_found are
// permanent. Neither the token nor a webhook URL shows in an error.
func TestSlackAnswers(t *testing.T) {
	cases := []struct {
		name      string
		webhook   bool
		answer    func(n int) (int, string, string)
		wantErr   string // "", "transient" or "permanent"
		wantCalls int
	}{
		{"429 then ok", false, func(n int) (int, string, string) {
			if n == 1 {
				return http.StatusTooManyRequests, "1", ""
			}
			return 0, "", ""
		}, "", 3},
		{"503", false, func(int) (int, string, string) { return http.StatusServiceUnavailable, "", "" }, "transient", 1},
		{"invalid_auth", false, func(int) (int, string, string) { return 0, "", "invalid_auth" }, "permanent", 1},
		{"channel_not_found", false, func(int) (int, string, string) { return 0, "", "channel_not_found" }, "permanent", 1},
		{"webhook 429 then ok", true, func(n int) (int, string, string) {
			if n == 1 {
				return http.StatusTooManyRequests, "1", ""
			}
			return 0, "", ""
		}, "", 2},
		{"webhook 404", true, func(int) (int, string, string) { return http.StatusNotFound, "", "" }, "permanent", 1},
		{"webhook 500", true, func(int) (int, string, string) { return http.StatusInternalServerError, "", "" }, "transient", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			f := newFakeSlack(t, clock)
			f.answer = func(n int, _ request) (int, string, string) { return tc.answer(n) }
			cfg := slack.Target{Channel: "#oms"}
			if tc.webhook {
				cfg = slack.Target{WebhookURL: secret.New(f.hookURL())}
			}
			err := newSink(t, f, clock, &slack.MemThreads{}, cfg).Send(t.Context(), notify(discovered("np_a", "a", 1)))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.wantErr == "permanent" && !sinks.IsPermanent(err):
				t.Fatalf("error %v, want a permanent one", err)
			case tc.wantErr == "transient" && (err == nil || sinks.IsPermanent(err)):
				t.Fatalf("error %v, want a transient one", err)
			}
			if err != nil && (strings.Contains(err.Error(), botToken) || strings.Contains(err.Error(), "s3cr3t-hook-path")) {
				t.Errorf("a secret in the error: %v", err)
			}
			reqs := f.requests("")
			if len(reqs) != tc.wantCalls {
				t.Fatalf("%d requests, want %d", len(reqs), tc.wantCalls)
			}
			if strings.HasPrefix(tc.name, "429") || strings.HasPrefix(tc.name, "webhook 429") {
				if gap := reqs[1].At.Sub(reqs[0].At); gap < time.Second {
					t.Errorf("retried %s after a 429 with Retry-After: 1", gap)
				}
			}
		})
	}
}

func TestWebhookModeText(t *testing.T) {
	clock := newFakeClock()
	f := newFakeSlack(t, clock)
	s := newSink(t, f, clock, nil, slack.Target{WebhookURL: secret.New(f.hookURL())})
	n := notify(discovered("np_a", "a<b", 1), discovered("np_b", "b", 2))
	n.Dropped = 2
	if err := s.Send(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	got := f.requests("webhook")
	// Incoming-webhook messages name each project too, with its page and
	// where it lives: there is no card above them.
	want := ":new: <https://oms.example.com/project/np_a|*a&lt;b*> `np_a` (cn-hangzhou) is watched now, status *RUNNING*\n" +
		":new: <https://oms.example.com/project/np_b|*b*> `np_b` (cn-hangzhou) is watched now, status *RUNNING*\n" +
		"_(2 earlier notifications were dropped by the rate limit)_"
	if len(got) != 1 || got[0].Text != want {
		t.Fatalf("webhook got %+v", got)
	}
	if _, err := slack.NewClient(slack.Config{ProjectURL: setting.Template{Text: "{{"}}, slack.ClientOptions{}); err == nil {
		t.Error("a broken project_url template was accepted")
	}
	c, _ := slack.NewClient(slack.Config{}, slack.ClientOptions{})
	if _, err := c.Target("x", slack.Target{Channel: "#a"}, nil); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("bot mode without a token: %v", err)
	}
	if _, err := c.Target("x", slack.Target{}, nil); err == nil {
		t.Error("a target with neither channel nor webhook was accepted")
	}
	_ = errors.New
}
