package pagerduty_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/pagerduty"
)

func newSink(t *testing.T, url string, red *secret.Redactor) *pagerduty.Sink {
	t.Helper()
	s, err := pagerduty.New("pd", pagerduty.Config{RoutingKey: secret.New(routingKey), URL: url},
		pagerduty.Options{Redactor: red, ConsoleURL: "https://oms.example/console"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Issue 16, point 8: through the dispatcher, PagerDuty gets for each
// incident one trigger, one acknowledge when it was acknowledged, and one
// resolve, with the incident id as dedup_key, even when it asks for
// retries on the way; updates and other events are not sent.
func TestEachIncidentIsTriggeredAndResolvedOnce(t *testing.T) {
	pd := newFakePD()
	pd.answer = func(n int, _ pagerduty.Event) (int, string) {
		switch n {
		case 1, 5:
			return 503, "0"
		case 3:
			return 429, "0"
		case 8:
			return 500, ""
		}
		return 0, ""
	}
	hs := httptest.NewServer(pd)
	defer hs.Close()
	events := append(lifecycle("inc-acked", true), lifecycle("inc-quiet", false)...)
	events = append(events, incidentEvent("inc-alarm", event.TypeAlarmTriggered, 1, event.Critical))
	if n, reason := deliver(t, newSink(t, hs.URL, nil), events, nil, nil); n != 0 {
		t.Fatalf("%d dead letters (%s), want none", n, reason)
	}
	pd.mu.Lock()
	defer pd.mu.Unlock()
	want := map[string]string{"inc-acked": "trigger,acknowledge,resolve", "inc-quiet": "trigger,resolve"}
	if len(pd.actions) != len(want) {
		t.Errorf("actions %v, want %v", pd.actions, want)
	}
	for key, w := range want {
		if got := strings.Join(pd.actions[key], ","); got != w {
			t.Errorf("dedup_key %s: %s, want %s", key, got, w)
		}
	}
	tr := pd.triggers[0]
	p := tr.Payload
	if p.Summary != "orders_inc-acked: step INCR_TRANSFER failing: CM-RESOINCR0207" || p.Source != "orders_inc-acked" ||
		p.Severity != "warning" || p.Component != "step:INCR_TRANSFER" || p.Class != "CM-RESOINCR0207" ||
		p.Timestamp != clock.Add(-time.Hour).Format(time.RFC3339) || p.CustomDetails["project_id"] != "np_inc-acked" ||
		len(tr.Links) != 2 || tr.Links[0].Href != "https://oms.example/console" || tr.Links[1].Href != "https://wiki.example/cm-reso" {
		t.Errorf("trigger %+v, payload %+v", tr, p)
	}
}

// A 400 is PagerDuty refusing the event for good: it is sent once and
// dead-lettered with the answer as its reason, in which the routing key
// (which the server echoed) is masked; nothing logged shows it either.
func TestA400IsDeadLetteredWithoutTheRoutingKey(t *testing.T) {
	pd := newFakePD()
	refused := 0
	pd.answer = func(_ int, e pagerduty.Event) (int, string) {
		if e.DedupKey == "inc-bad" {
			refused++
			return 400, ""
		}
		return 0, ""
	}
	hs := httptest.NewServer(pd)
	defer hs.Close()
	var logs bytes.Buffer
	red := &secret.Redactor{}
	log := slog.New(secret.NewHandler(slog.NewTextHandler(&logs, nil), red))
	n, reason := deliver(t, newSink(t, hs.URL, red), append(lifecycle("inc-bad", false)[:1], lifecycle("inc-ok", false)[:1]...), log, red)
	pd.mu.Lock()
	defer pd.mu.Unlock()
	if n != 1 || refused != 1 || len(pd.actions["inc-ok"]) != 1 {
		t.Errorf("%d dead letters after %d refused posts; inc-ok got %v; want 1, 1, one trigger", n, refused, pd.actions["inc-ok"])
	}
	if !strings.Contains(reason, "pagerduty pd: 400 Bad Request") || strings.Contains(reason, routingKey) {
		t.Errorf("dead letter reason %q", reason)
	}
	if !strings.Contains(logs.String(), "dead letter stored") || strings.Contains(logs.String(), routingKey) {
		t.Errorf("no dead letter logged, or the routing key in the logs: %s", logs.String())
	}
}

// How each answer is taken: retried (with Retry-After) or refused for good.
func TestPagerDutyAnswers(t *testing.T) {
	cases := []struct {
		name   string
		status int
		retry  string
		want   string
	}{
		{"accepted", 0, "", "ok"},
		{"429 says when", 429, "7", "retry 7s"},
		{"502 says when", 502, "2", "retry 2s"},
		{"500 transient", 500, "", "transient"},
		{"400 permanent", 400, "", "permanent"},
		{"403 permanent", 403, "", "permanent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pd := newFakePD()
			pd.answer = func(int, pagerduty.Event) (int, string) { return tc.status, tc.retry }
			hs := httptest.NewServer(pd)
			defer hs.Close()
			err := newSink(t, hs.URL, nil).Send(t.Context(), sinks.Notification{Events: lifecycle("inc-a", false)[:1]})
			switch d, retry := sinks.RetryDelay(err); tc.want {
			case "ok":
				if err != nil {
					t.Fatal(err)
				}
			case "transient":
				if err == nil || sinks.IsPermanent(err) || retry {
					t.Errorf("error %v, want transient without a delay", err)
				}
			case "permanent":
				if !sinks.IsPermanent(err) {
					t.Errorf("error %v, want permanent", err)
				}
			default:
				if !retry || "retry "+d.String() != tc.want {
					t.Errorf("error %v: delay %s, want %s", err, d, tc.want)
				}
			}
			if err != nil && strings.Contains(err.Error(), routingKey) {
				t.Errorf("the routing key in an error: %v", err)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name, key, url, want string
	}{
		{"ok", routingKey, "", ""},
		{"eu", routingKey, "https://events.eu.pagerduty.com", ""},
		{"no key", "", "", "routing_key: is required"},
		{"spaces", "abc def", "", "routing_key: contains white space"},
		{"bad url", routingKey, "events.pagerduty.com", "url: \"events.pagerduty.com\" is not an http:// or https:// URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := pagerduty.Config{}
			c.SetDefaults()
			c.RoutingKey = secret.New(tc.key)
			if tc.url != "" {
				c.URL = tc.url
			}
			err := c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
			if err != nil && tc.key != "" && strings.Contains(err.Error(), tc.key) {
				t.Errorf("the routing key in %v", err)
			}
			if c.Timeout != setting.Duration(10*time.Second) {
				t.Errorf("default timeout %s", c.Timeout)
			}
		})
	}
}
