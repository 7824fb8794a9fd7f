package alertmanager_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/alertmanager"
	"github.com/omswatch/omswatch/sinks/sinktest"
)

// withAuth puts basic-auth credentials, a secret, in a server's URL.
func withAuth(url string) string {
	return strings.Replace(url, "http://", "http://am:basic-auth-secret@", 1)
}

func newSink(t *testing.T, url string, now *time.Time) *alertmanager.Sink {
	t.Helper()
	s, err := alertmanager.New("am", alertmanager.Config{URL: secret.New(withAuth(url)), Labels: map[string]string{"team": "dba"},
		ResendInterval: setting.Duration(time.Minute)}, alertmanager.Options{ConsoleURL: "https://oms.example/console",
		Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Issue 16, point 8: through the dispatcher, each incident becomes one
// alert that starts firing once and resolves once, even when
// Alertmanager asks for retries on the way; other events are skipped.
func TestEachIncidentFiresAndResolvesOnce(t *testing.T) {
	srv := sinktest.StartNATS(t, 0)
	_, js := sinktest.Connect(t, srv)
	ob, err := sinks.NewOutbox(t.Context(), js, sinks.OutboxOptions{MaxAge: time.Hour, DedupWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	am := newFakeAM(t)
	am.answer = func(n int, _ []alertmanager.Alert) (int, string) {
		switch n {
		case 1, 6:
			return 503, "0"
		case 3:
			return 429, "0"
		case 9:
			return 502, ""
		}
		return 0, ""
	}
	hs := httptest.NewServer(am)
	defer hs.Close()
	now := clock
	s := newSink(t, hs.URL, &now)
	d, err := sinks.NewDispatcher(sinks.DispatcherOptions{Outbox: ob, BatchSize: 16, InitialBackoff: time.Millisecond,
		Targets: []sinks.Target{{Name: "am", Sink: s}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ids := []string{"inc-aaaa", "inc-bbbb", "inc-cccc"}
	var es []sinks.Entry
	for _, id := range ids {
		for _, e := range lifecycle(id) {
			es = append(es, sinks.Entry{Event: e, Deliveries: []sinks.Delivery{{Event: e, Target: "am", RouteIndex: -1}}})
		}
	}
	other := incidentEvent("inc-zzzz", event.TypeAlarmTriggered, 9, event.Warning)
	es = append(es, sinks.Entry{Event: other, Deliveries: []sinks.Delivery{{Event: other, Target: "am", RouteIndex: -1}}})
	if err := ob.Publish(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	am.mu.Lock()
	defer am.mu.Unlock()
	for _, id := range ids {
		if am.triggers[id] != 1 || am.resolves[id] != 1 {
			t.Errorf("incident %s: fired %d times, resolved %d times; want once each", id, am.triggers[id], am.resolves[id])
		}
	}
	if len(am.bad) > 0 || am.triggers["inc-zzzz"] > 0 || len(am.posts) != 4*len(ids) {
		t.Errorf("bad requests %q; %d alerts posted, want %d (an alarm is no alert)", am.bad, len(am.posts), 4*len(ids))
	}
	first, last := am.posts[0], am.posts[3]
	if first.Labels["alertname"] != alertmanager.AlertName || first.Labels["incident"] != "inc-aaaa" || first.Labels["team"] != "dba" ||
		first.Labels["cause"] != "step:INCR_TRANSFER" || first.Labels["project"] != "np_inc-aaaa" ||
		first.Annotations["error_code"] != "CM-RESOINCR0207" || first.Annotations["severity"] != "warning" ||
		first.GeneratorURL != "https://oms.example/console" || !first.StartsAt.Equal(clock.Add(-time.Hour)) ||
		!first.EndsAt.Equal(clock.Add(4*time.Minute)) {
		t.Errorf("first alert %+v", first)
	}
	if ack := am.posts[2]; ack.Annotations["acked_by"] != "alice" || ack.Annotations["severity"] != "critical" || !ack.EndsAt.After(clock) {
		t.Errorf("acknowledged alert %+v: firing with the incident's severity and who took it", ack)
	}
	if !last.EndsAt.Equal(lifecycle("inc-aaaa")[3].Time) || last.Annotations["state"] != "resolved" {
		t.Errorf("resolution %+v: endsAt is not the resolution time", last)
	}
	if n, _ := deadLetters(t, js); n != 0 {
		t.Errorf("%d dead letters, want none", n)
	}
}

// A firing alert is posted again once a resend interval has passed since
// its last post, with endsAt moved ahead; a resolved one is not.
func TestFiringAlertsAreResentBeforeTheyExpire(t *testing.T) {
	am := newFakeAM(t)
	now := clock
	am.now = func() time.Time { return now }
	hs := httptest.NewServer(am)
	defer hs.Close()
	s := newSink(t, hs.URL, &now)
	open := []event.Event{incidentEvent("inc-a", event.TypeIncidentOpened, 1, event.Critical),
		incidentEvent("inc-b", event.TypeIncidentOpened, 1, event.Critical)}
	if err := s.Send(t.Context(), sinks.Notification{Events: open}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance time.Duration
		send    []event.Event
		want    []string // incidents re-posted by Resend
	}{
		{30 * time.Second, nil, nil},
		{30 * time.Second, nil, []string{"inc-a", "inc-b"}},
		{30 * time.Second, []event.Event{incidentEvent("inc-a", event.TypeIncidentUpdated, 2, event.Critical)}, nil},
		{30 * time.Second, nil, []string{"inc-b"}},
		{30 * time.Second, []event.Event{incidentEvent("inc-b", event.TypeIncidentResolved, 3, event.Info)}, []string{"inc-a"}},
		{time.Minute, nil, []string{"inc-a"}},
	}
	for i, st := range steps {
		now = now.Add(st.advance)
		if err := s.Send(t.Context(), sinks.Notification{Events: st.send}); err != nil {
			t.Fatal(err)
		}
		am.mu.Lock()
		before := len(am.posts)
		am.mu.Unlock()
		if err := s.Resend(t.Context()); err != nil {
			t.Fatal(err)
		}
		am.mu.Lock()
		var got []string
		for _, a := range am.posts[before:] {
			got = append(got, a.Labels["incident"])
			if !a.EndsAt.Equal(now.Add(4 * time.Minute)) {
				t.Errorf("step %d: resent endsAt %s, want 4 intervals ahead", i, a.EndsAt)
			}
		}
		am.mu.Unlock()
		if strings.Join(got, ",") != strings.Join(st.want, ",") {
			t.Errorf("step %d: resent %v, want %v", i, got, st.want)
		}
	}
	am.mu.Lock()
	defer am.mu.Unlock()
	if am.triggers["inc-a"] != 1 || am.triggers["inc-b"] != 1 || am.resolves["inc-b"] != 1 || am.resolves["inc-a"] != 0 {
		t.Errorf("triggers %v resolves %v", am.triggers, am.resolves)
	}
}

// How each answer is taken: retried (with Retry-After) or refused for good.
func TestAlertmanagerAnswers(t *testing.T) {
	cases := []struct {
		name   string
		status int
		retry  string
		want   string
	}{
		{"accepted", 0, "", "ok"},
		{"429 says when", 429, "7", "retry 7s"},
		{"503 says when", 503, "3", "retry 3s"},
		{"500 transient", 500, "", "transient"},
		{"400 permanent", 400, "", "permanent"},
		{"401 permanent", 401, "", "permanent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			am := newFakeAM(t)
			am.answer = func(int, []alertmanager.Alert) (int, string) { return tc.status, tc.retry }
			hs := httptest.NewServer(am)
			defer hs.Close()
			now := clock
			s := newSink(t, hs.URL, &now)
			err := s.Send(t.Context(), sinks.Notification{Events: lifecycle("inc-a")[:1]})
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
			if err != nil && strings.Contains(err.Error(), "basic-auth-secret") {
				t.Errorf("the URL's password in an error: %v", err)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  alertmanager.Config
		want string
	}{
		{"ok", alertmanager.Config{URL: secret.New("http://am:9093"), Labels: map[string]string{"team": "dba"}}, ""},
		{"no url", alertmanager.Config{}, "url: is required"},
		{"ftp", alertmanager.Config{URL: secret.New("ftp://am")}, "url: not an http:// or https:// URL"},
		{"bad label", alertmanager.Config{URL: secret.New("http://am"), Labels: map[string]string{"a-b": "x"}}, `"a-b" is not a label name`},
		{"identity label", alertmanager.Config{URL: secret.New("http://am"), Labels: map[string]string{"incident": "x"}}, "set by omswatch"},
		{"tiny resend", alertmanager.Config{URL: secret.New("http://am"), ResendInterval: setting.Duration(time.Millisecond)}, "resend_interval: must be at least 1s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := alertmanager.Config{}
			c.SetDefaults()
			c.URL, c.Labels = tc.cfg.URL, tc.cfg.Labels
			if tc.cfg.ResendInterval != 0 {
				c.ResendInterval = tc.cfg.ResendInterval
			}
			err := c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
