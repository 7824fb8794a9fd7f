package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/console"
	"github.com/omswatch/omswatch/incident"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules/kvstate"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/slack"
)

const testSigningSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// signedInteraction is a button press as Slack sends it: a block_actions
// payload, form-encoded, signed with secret at ts.
func signedInteraction(t *testing.T, target, secret string, ts time.Time, responseURL, actionID, value string) *http.Request {
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

// The Slack buttons of an incident on run's HTTP listener: a press signed
// with the signing secret acknowledges the incident (in its record and, as
// `omswatch incident ack` does, in the audit trail: history) or silences
// its project for 1 h / 4 h (the silence, and its record in the trail);
// a bad signature or an old request is refused with 401 and changes
// nothing. The service here owns no project (no poller, no lease), as a
// replica that does not own the incident's project.
func TestSlackButtonsActOnTheIncident(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	b := openIncidentForButtons(ctx, t, "signing_secret: "+testSigningSecret)
	js, cfg, d, failed, project, id, now := b.js, b.cfg, b.d, b.failed, b.project, b.id, b.now
	log := slog.New(slog.DiscardHandler)

	s := &Service{root: log, log: log, js: js, nc: js.Conn()}
	s.metrics = newMetrics("test", s.state)
	var err error
	if s.slackAct, err = s.openSlackInteractions(cfg, func() time.Time { return now }); err != nil || s.slackAct == nil {
		t.Fatalf("interactions %v, %v", s.slackAct, err)
	}
	if err := s.serveHTTP("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.httpSrv.Close()
	var mu sync.Mutex
	var told []string
	respond := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		told = append(told, m.Text)
		mu.Unlock()
	}))
	defer respond.Close()

	store, err := incident.OpenKVStore(ctx, js, cfg.Incidents.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	silences, err := kvstate.NewSilences(ctx, js, kvstate.Options{Bucket: cfg.Rules.SilenceBucket})
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Now() // the signature's timestamp is checked against the wall clock
	steps := []struct {
		name          string
		secret        string
		at            time.Time
		action, value string
		status        int
		state         string
		silenceEnds   []time.Time
		told          string // "" with no action: the project's owner polls it instead
	}{
		{"bad signature", "not-the-secret", wall, slack.ActionAck, id, http.StatusUnauthorized, "firing", nil, ""},
		{"old timestamp", testSigningSecret, wall.Add(-6 * time.Minute), slack.ActionSilence1h, project, http.StatusUnauthorized, "firing", nil, ""},
		{"acknowledge", testSigningSecret, wall, slack.ActionAck, id, http.StatusOK, "acknowledged", nil,
			"incident " + id + " acknowledged by alice"},
		{"the owner polls after", "", time.Time{}, "", "", 0, "acknowledged", nil, ""},
		{"silence 1 h", testSigningSecret, wall, slack.ActionSilence1h, project, http.StatusOK, "acknowledged",
			[]time.Time{now.Add(time.Hour)}, "project " + project + " silenced by alice until 2026-12-01 04:10 UTC"},
		{"silence 4 h", testSigningSecret, wall, slack.ActionSilence4h, project, http.StatusOK, "acknowledged",
			[]time.Time{now.Add(time.Hour), now.Add(4 * time.Hour)}, "until 2026-12-01 07:10 UTC"},
		{"an unknown incident", testSigningSecret, wall, slack.ActionAck, "inc-nothing", http.StatusOK, "acknowledged",
			[]time.Time{now.Add(time.Hour), now.Add(4 * time.Hour)}, "no such incident"},
	}
	for _, tc := range steps {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			told = nil
			mu.Unlock()
			if tc.action == "" {
				// The replica that owns the project (its pipeline) writes
				// its record again: it reads the acknowledgement first.
				if err := d.Handler().Handle(ctx, poller.Change{Source: "oms://cn-hangzhou", Project: project, Previous: failed,
					Current: failed, Time: now.Add(time.Minute)}); err != nil {
					t.Fatal(err)
				}
			} else {
				req := signedInteraction(t, "http://"+s.httpAddr+"/slack/interactions", tc.secret, tc.at, respond.URL, tc.action, tc.value)
				res, err := http.DefaultClient.Do(req.WithContext(ctx))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				s.slackAct.Wait()
				if res.StatusCode != tc.status {
					t.Errorf("status %d, want %d", res.StatusCode, tc.status)
				}
			}
			in, err := store.Find(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if string(in.State) != tc.state {
				t.Errorf("the incident is %s, want %s", in.State, tc.state)
			}
			if tc.state == "acknowledged" && (in.Ack == nil || in.Ack.By != "alice" || in.Ack.Comment != "from Slack" || !in.Ack.At.Equal(now)) {
				t.Errorf("taken by %+v, want alice from Slack at %s", in.Ack, now)
			}
			list, err := silences.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ends []time.Time
			for _, sil := range list {
				if len(sil.Matchers) != 1 || sil.Matchers[0].Name != "project" || sil.Matchers[0].Op != "=" ||
					sil.Matchers[0].Value != project || sil.CreatedBy != "alice" || !sil.StartsAt.Equal(now) {
					t.Errorf("silence %+v, want project=%s by alice from %s", sil, project, now)
				}
				ends = append(ends, sil.EndsAt)
			}
			if !sameTimes(ends, tc.silenceEnds) {
				t.Errorf("silences end at %v, want %v", ends, tc.silenceEnds)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.told == "" && len(told) > 0 || tc.told != "" && (len(told) != 1 || !strings.Contains(told[0], tc.told)) {
				t.Errorf("told the user %q, want %q", told, tc.told)
			}
		})
	}
	evs, err := sinks.History(ctx, js, sinks.HistoryQuery{Project: project})
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, se := range evs {
		e := se.Event
		switch {
		case e.Type == "oms.incident.acknowledged":
			trail = append(trail, e.Type+" by "+e.Data.Text("by")+": "+e.Data.Text("comment"))
		case strings.HasPrefix(e.Type, console.AuditTypePrefix):
			trail = append(trail, e.Source+" "+e.Type+" by "+e.Data.Text("user")+" until "+e.Data.Text("ends_at"))
		}
	}
	want := "oms.incident.acknowledged by alice: from Slack\n" +
		"omswatch://slack omswatch.console.silence_created by alice until 2026-12-01T04:10:00Z\n" +
		"omswatch://slack omswatch.console.silence_created by alice until 2026-12-01T07:10:00Z"
	if got := strings.Join(trail, "\n"); got != want {
		t.Errorf("the audit trail has\n%s\nwant\n%s", got, want)
	}
}

// buttonsSetup is an incident for the buttons to act on: its project
// failed (a step error) at t0; now is 10 minutes later, the time of the
// actions.
type buttonsSetup struct {
	js          jetstream.JetStream
	cfg         *config.Config
	d           *delivery
	failed      *oms.Snapshot
	project, id string
	now         time.Time
}

// openIncidentForButtons starts an embedded NATS and opens an incident
// through the pipeline, with slack (a YAML mapping's body) as the slack
// section.
func openIncidentForButtons(ctx context.Context, t *testing.T, slack string) buttonsSetup {
	t.Helper()
	srv, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	cfg, err := config.Load([]byte("oms: {mode: sim}\nnats:\n  url: "+srv.ClientURL()+
		"\nincidents:\n  enabled: true\nslack: {"+slack+"}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDelivery(ctx, cfg, js, deliveryOptions{stdout: &proctest.Buffer{}, logFormat: "json", red: &secret.Redactor{}, log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	failed := diffSnapshot(t, "sim_lag-fail-recover_step_error_raised", "new.json")
	t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	if err := d.Handler().Handle(ctx, poller.Change{Source: "oms://cn-hangzhou", Project: failed.ID(), Current: failed, Time: t0}); err != nil {
		t.Fatal(err)
	}
	return buttonsSetup{js: js, cfg: cfg, d: d, failed: failed, project: failed.ID(), id: incidentID(ctx, t, js), now: t0.Add(10 * time.Minute)}
}

// sameTimes compares two sets of times, in any order.
func sameTimes(a, b []time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[int64]int{}
	for _, t := range a {
		seen[t.UnixNano()]++
	}
	for _, t := range b {
		seen[t.UnixNano()]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// Without a signing secret there is no interactions endpoint, even with
// an app token (Socket Mode): no request is taken unsigned.
func TestSlackInteractionsNeedTheSigningSecret(t *testing.T) {
	cfg, err := config.Load([]byte("oms: {mode: sim}\nslack: {app_token: xapp-1-A0TEST-1-abc}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	s := &Service{root: log, log: log}
	s.metrics = newMetrics("test", s.state)
	if s.slackAct, err = s.openSlackInteractions(cfg, time.Now); err != nil {
		t.Fatal(err)
	}
	if err := s.serveHTTP("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.httpSrv.Close()
	req := signedInteraction(t, "http://"+s.httpAddr+"/slack/interactions", "", time.Now(), "", slack.ActionAck, "inc-0001")
	res, err := http.DefaultClient.Do(req.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404: no endpoint", res.StatusCode)
	}
}
