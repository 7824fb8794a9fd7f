package slack_test

import (
	"strings"
	"testing"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks/slack"
)

// With ClientOptions.Runbook, an event whose problem has a runbook is
// followed by it (a URL linked, a text escaped), each runbook once a
// message; other events get none.
func TestRunbookUnderEventLines(t *testing.T) {
	clock := newFakeClock()
	f := newFakeSlack(t, clock)
	runbook := func(e *event.Event) string {
		switch e.Data.Text("code") {
		case "CM-1":
			return "https://wiki.example.com/oms/cm"
		case "OMS-2":
			return "restart <the> store"
		}
		return ""
	}
	c, err := slack.NewClient(slack.Config{Token: secret.New(botToken), APIURL: f.apiURL()},
		slack.ClientOptions{Clock: clock, Threads: &slack.MemThreads{}, Runbook: runbook})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Target("oncall", slack.Target{Channel: "#oms"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	errEv := func(i int, code string) event.Event {
		return ev("np_a", "orders", event.TypeStepErrorRaised, event.Critical, i, map[string]any{"step": "INCR_TRANSFER", "code": code, "message": "m"})
	}
	n := notify(errEv(1, "CM-1"), errEv(2, "CM-1"), errEv(3, "OMS-2"),
		ev("np_a", "orders", event.TypeStepProgressChanged, event.Info, 4, map[string]any{"step": "INCR_TRANSFER", "from": 1, "to": 2}))
	if err := s.Send(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	posts := f.requests("chat.postMessage")
	reply := posts[len(posts)-1].Text
	lines := strings.Split(reply, "\n")
	want := []string{":book: *Runbook:* <https://wiki.example.com/oms/cm>", ":book: *Runbook:* restart &lt;the&gt; store"}
	var got []string
	for _, l := range lines {
		if strings.HasPrefix(l, ":book:") {
			got = append(got, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("runbook lines %q, want %q in\n%s", got, want, reply)
	}
	if !strings.HasPrefix(lines[len(lines)-1], ":") || strings.Contains(lines[len(lines)-1], "Runbook") {
		t.Errorf("the progress line has a runbook: %s", reply)
	}
}
