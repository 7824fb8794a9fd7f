package slack_test

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/sinktest"
	"github.com/omswatch/omswatch/sinks/slack"
)

// Through the outbox and the dispatcher: 5xx and an outage are retried
// until Slack is back, every message delivered once and in order;
// invalid_auth is dead-lettered after one request, with the reason and
// without the token.
func TestSlackDeliveryThroughTheOutbox(t *testing.T) {
	cases := []struct {
		name       string
		down       int // requests answered 503 (then ok)
		slackErr   string
		wantPosts  int
		wantDead   uint64
		wantReason string
	}{
		{"5xx retried", 2, "", 11, 0, ""},
		{"down for a while then back", 25, "", 11, 0, ""},
		{"invalid_auth dead-lettered once", 0, "invalid_auth", 10, 10, "invalid_auth"}, // one request per message, never a loop
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			f := newFakeSlack(t, clock)
			var n atomic.Int64
			f.answer = func(int, request) (int, string, string) {
				i := n.Add(1)
				if i <= int64(tc.down) {
					return http.StatusServiceUnavailable, "", ""
				}
				return 0, "", tc.slackErr
			}
			srv := sinktest.StartNATS(t, 0)
			_, js := sinktest.Connect(t, srv)
			ob, err := sinks.NewOutbox(t.Context(), js, sinks.OutboxOptions{MaxAge: time.Hour, DedupWindow: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			red := &secret.Redactor{}
			c, err := slack.NewClient(slack.Config{Token: secret.New(botToken), APIURL: f.apiURL()}, slack.ClientOptions{Clock: clock, Redactor: red})
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.Target("oncall", slack.Target{Channel: "#oms"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			d, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: ob, MaxAttempts: 1000, InitialBackoff: 5 * time.Millisecond,
				MaxBackoff: 20 * time.Millisecond, Redactor: red, Targets: []sinks.Target{{Name: "oncall", Sink: s, Grouper: &oneByOne{}}}})
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var want []string
			for i := range 10 {
				e := ev("np_a", "orders", event.TypeStepProgressChanged, event.Info, i, map[string]any{"step": "S", "from": i, "to": i + 1})
				want = append(want, strings.TrimSpace(e.ID))
				if err := ob.Publish(t.Context(), []sinks.Entry{{Event: e, Deliveries: []sinks.Delivery{{Event: e, Target: "oncall"}}}}); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			var ok []request
			for i, r := range f.requests("chat.postMessage") {
				if i >= tc.down && tc.slackErr == "" {
					ok = append(ok, r)
				}
			}
			if tc.slackErr == "" {
				if len(ok) != tc.wantPosts {
					t.Fatalf("%d successful posts, want %d", len(ok), tc.wantPosts)
				}
				var order []string
				for _, r := range ok[1:] {
					order = append(order, r.Text)
				}
				if !slices.IsSortedFunc(order, progressOrder) {
					t.Errorf("out of order: %q", order)
				}
			} else if got := len(f.requests("chat.postMessage")); got != tc.wantPosts {
				t.Fatalf("%d requests, want %d", got, tc.wantPosts)
			}
			st, _ := js.Stream(t.Context(), sinks.DefaultDeadLetterStream)
			info, _ := st.Info(t.Context())
			if info.State.Msgs != tc.wantDead {
				t.Fatalf("%d dead letters, want %d", info.State.Msgs, tc.wantDead)
			}
			if tc.wantDead > 0 {
				m, err := st.GetMsg(t.Context(), 1)
				if err != nil {
					t.Fatal(err)
				}
				reason := m.Header.Get(sinks.HeaderReason)
				if !strings.Contains(reason, tc.wantReason) || strings.Contains(reason, botToken) || m.Header.Get(sinks.HeaderAttempts) != "1" {
					t.Errorf("dead letter reason %q attempts %s", reason, m.Header.Get(sinks.HeaderAttempts))
				}
			}
		})
	}
}

// progressOrder orders replies "... S% → N%" by N.
func progressOrder(a, b string) int {
	num := func(s string) string { return s[strings.LastIndex(s, "→")+4:] }
	if len(num(a)) != len(num(b)) {
		return len(num(a)) - len(num(b))
	}
	return strings.Compare(num(a), num(b))
}

// oneByOne makes each delivery its own notification at once (grouping is
// the rules engine's, tested there).
type oneByOne struct{ ds []sinks.Delivery }

func (o *oneByOne) Add(_ time.Time, ds []sinks.Delivery) { o.ds = append(o.ds, ds...) }
func (o *oneByOne) Due(time.Time) []sinks.Notification   { return o.Flush() }
func (o *oneByOne) Next() (time.Time, bool)              { return time.Time{}, len(o.ds) > 0 }
func (o *oneByOne) Flush() []sinks.Notification {
	var out []sinks.Notification
	for _, d := range o.ds {
		out = append(out, sinks.Notification{Target: d.Target, Route: d.Route, Events: []event.Event{d.Event}})
	}
	o.ds = nil
	return out
}
