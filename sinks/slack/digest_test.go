package slack_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/slack"
)

// digestEvent is an oms.watch.digest event as the digester makes it.
func digestEvent(t *testing.T) event.Event {
	t.Helper()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	src := "oms://cn-hangzhou"
	users := event.DigestProject{Source: src, ID: "np_users", Name: "users<pg>&ob", Status: "FAILED", Phase: "incr"}
	billing := event.DigestProject{Source: src, ID: "np_billing", Name: "billing", Status: "RUNNING", Phase: "incr"}
	d := event.Digest{Since: now.Add(-24 * time.Hour), Projects: 6, Incidents: true, QuietAfter: "168h0m0s",
		ByStatus: []event.Count{{Name: "RUNNING", Count: 5}, {Name: "FAILED", Count: 1}},
		ByPhase:  []event.Count{{Name: "incr", Count: 6}},
		Open: []event.DigestIncident{{ID: "inc-u2", Project: users, Title: "step INCR_TRANSFER failing: CM-RESOINCR0207",
			Severity: event.Critical, State: "firing", Started: now.Add(-26 * time.Hour), Lasted: "26h0m0s"},
			{ID: "inc-b1", Project: billing, Title: "condition incr_delay_high", Severity: event.Warning, State: "acknowledged",
				Started: now.Add(-3 * time.Hour), Lasted: "3h0m0s", AckedBy: "alice", AckedAt: now.Add(-2 * time.Hour)}},
		OpenCount: 2,
		Delays:    []event.DigestDelay{{Project: billing, Delay: "30m0s", DelaySeconds: 1800, Trend: "catching_up", ETA: "catching up, ETA 9 min"}},
		Opened:    []event.DigestIncident{}, Resolved: []event.DigestIncident{{ID: "inc-o4", Project: billing, Title: "polls failing",
			Severity: event.Warning, State: "resolved", Started: now.Add(-5 * time.Hour), Ended: now.Add(-4 * time.Hour), Lasted: "42m0s"}},
		ResolvedCount: 1,
		Quiet:         []event.DigestProject{{Source: src, ID: "np_archive", Name: "archive", Status: "RUNNING", Changed: now.Add(-10 * 24 * time.Hour)}},
		QuietCount:    3}
	fields, err := d.Fields()
	if err != nil {
		t.Fatal(err)
	}
	return event.Event{ID: event.NewID(src, src, event.TypeWatchDigest, "1", ""), Source: src, Type: event.TypeWatchDigest,
		Subject: src, Time: now, Severity: event.Info, Data: event.Data{Fields: fields}}
}

// A digest is one Block Kit message of its own in the channel (never a
// thread reply, whatever it was grouped with), or through an incoming
// webhook: names linked to the console and escaped, UTC times with how
// long ago, who took each incident, the ETA, what was cut short.
func TestDigestIsOneMessage(t *testing.T) {
	want := []string{":newspaper: omswatch digest: 6 projects, 2 open incidents", `*By status*\n5 RUNNING · 1 FAILED`,
		"*<https://oms.example.com/project/np_users|users&lt;pg&gt;&amp;ob>*", "open 1 day since 2026-12-06 07:00 UTC (1 day ago); nobody has taken it",
		"taken by *alice*", "*<https://oms.example.com/project/np_billing|billing>* 30 min behind, catching up, ETA 9 min",
		"Since the last digest: 0 opened, 1 resolved", "resolved after 42 min", "*Quiet for 7 days or more (3)*",
		"last change 2026-11-27 09:00 UTC (10 days ago)", "_and 2 more_"}
	for _, tc := range []struct {
		name   string
		cfg    slack.Target
		method string
	}{
		{"bot", slack.Target{Channel: "#dba"}, "chat.postMessage"},
		{"webhook", slack.Target{}, "webhook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			f := newFakeSlack(t, clock)
			cfg := tc.cfg
			if cfg.Channel == "" {
				cfg.WebhookURL = secret.New(f.hookURL())
			}
			s := newSink(t, f, clock, nil, cfg)
			n := sinks.Notification{Target: "oncall", Route: "digest", Events: []event.Event{digestEvent(t)}}
			if err := s.Send(t.Context(), n); err != nil {
				t.Fatal(err)
			}
			if err := s.Send(t.Context(), n); err != nil { // a retry after a lost answer posts nothing again
				t.Fatal(err)
			}
			reqs := f.requests("")
			if len(reqs) != 1 || reqs[0].Method != tc.method || reqs[0].ThreadTS != "" {
				t.Fatalf("requests %+v; want one %s, no thread", reqs, tc.method)
			}
			for _, w := range want {
				if !strings.Contains(reqs[0].Blocks, w) {
					t.Errorf("blocks lack %q:\n%s", w, reqs[0].Blocks)
				}
			}
			if !strings.Contains(reqs[0].Text, "omswatch digest: 6 projects") {
				t.Errorf("fallback text %q", reqs[0].Text)
			}
		})
	}
}

// digestLinesShown is how many lines a section shows at most.
const digestLinesShown = 10

// A section never exceeds Slack's 3,000 characters: lines that would
// take it over are left out whole and counted in "and N more".
func TestDigestSectionsFitSlacksLimit(t *testing.T) {
	clock := newFakeClock()
	f := newFakeSlack(t, clock)
	s := newSink(t, f, clock, nil, slack.Target{Channel: "#dba"})
	e := digestEvent(t)
	d, err := event.DigestOf(e.Data)
	if err != nil {
		t.Fatal(err)
	}
	long := d.Open[0]
	long.Title = strings.Repeat("a very long title ", 30)
	d.Open, d.OpenCount = nil, 25
	for range 20 {
		d.Open = append(d.Open, long)
	}
	if e.Data.Fields, err = d.Fields(); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(t.Context(), sinks.Notification{Target: "oncall", Events: []event.Event{e}}); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests("chat.postMessage")
	if len(reqs) != 1 {
		t.Fatalf("%d posts", len(reqs))
	}
	var blocks []struct {
		Text struct{ Text string } `json:"text"`
	}
	if err := json.Unmarshal([]byte(reqs[0].Blocks), &blocks); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range blocks {
		if len(b.Text.Text) > 3000 {
			t.Errorf("a section of %d characters", len(b.Text.Text))
		}
		if strings.HasPrefix(b.Text.Text, "*Open incidents (25)*") {
			found = strings.Contains(b.Text.Text, "_and ") && strings.Count(b.Text.Text, ":red_circle:") < digestLinesShown
		}
	}
	if !found {
		t.Errorf("the open incidents section is not cut short with \"and N more\":\n%s", reqs[0].Blocks)
	}
}
