package service

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/console"
	"github.com/omswatch/omswatch/incident"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/rules/kvstate"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/slack"
)

const testAppToken = "xapp-1-A0TEST-7412589630-5f2a9c8d7e6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e"

// waitUntil waits up to within for cond, checking it every few
// milliseconds, and fails the test when it does not come.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The Slack buttons over Socket Mode (slack.app_token, no HTTP listener):
// the replica connects to Slack, acknowledges each envelope at once, and
// a press takes the HTTP endpoint's path: Acknowledge acknowledges the
// incident in its record and the audit trail, Silence 1 h silences the
// project and records it, the user is told, the owner's next poll keeps
// the acknowledgement. The service owns no project, as a replica that
// does not own the incident's. A reload with the same token keeps the
// connection, one without a token closes it; the token is in no log line.
func TestSlackButtonsOverSocketMode(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	fake := proctest.StartSlackSocket(t, testAppToken)
	b := openIncidentForButtons(ctx, t, "app_token: "+testAppToken+", api_url: '"+fake.APIURL+"'")
	var logs proctest.Buffer
	log := logs.Logger()
	s := &Service{root: log, log: log, js: b.js, nc: b.js.Conn(), o: Options{Redactor: &secret.Redactor{}}}
	var err error
	if s.slackAct, err = s.openSlackInteractions(b.cfg, func() time.Time { return b.now }); err != nil {
		t.Fatal(err)
	}
	defer s.close()
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
	toldUser := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), told...)
	}

	s.syncSlackSocket(ctx, b.cfg)
	fake.WaitConnected(t, 10*time.Second)
	store, err := incident.OpenKVStore(ctx, b.js, b.cfg.Incidents.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	fake.Send(t, "env-ack", "interactive", proctest.SlackPress("trig-1", respond.URL, slack.ActionAck, b.id))
	fake.WaitAck(t, "env-ack", 3*time.Second) // Slack's limit
	waitUntil(t, 20*time.Second, "the incident acknowledged", func() bool {
		in, err := store.Find(ctx, b.id)
		return err == nil && in.State == "acknowledged"
	})
	waitUntil(t, 10*time.Second, "the user told", func() bool { return len(toldUser()) == 1 })
	if got := toldUser(); !strings.Contains(got[0], "incident "+b.id+" acknowledged by alice") {
		t.Errorf("told the user %q", got)
	}
	// The replica that owns the project writes its record again: it reads
	// the acknowledgement first.
	if err := b.d.Handler().Handle(ctx, poller.Change{Source: "oms://cn-hangzhou", Project: b.project, Previous: b.failed,
		Current: b.failed, Time: b.now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	in, err := store.Find(ctx, b.id)
	if err != nil {
		t.Fatal(err)
	}
	if in.State != "acknowledged" || in.Ack == nil || in.Ack.By != "alice" || in.Ack.Comment != "from Slack" || !in.Ack.At.Equal(b.now) {
		t.Errorf("the incident is %s, taken by %+v; want acknowledged by alice from Slack at %s", in.State, in.Ack, b.now)
	}

	fake.Send(t, "env-silence", "interactive", proctest.SlackPress("trig-2", respond.URL, slack.ActionSilence1h, b.project))
	fake.WaitAck(t, "env-silence", 3*time.Second)
	silences, err := kvstate.NewSilences(ctx, b.js, kvstate.Options{Bucket: b.cfg.Rules.SilenceBucket})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "the project silenced", func() bool {
		list, err := silences.List(ctx)
		return err == nil && len(list) == 1 && list[0].CreatedBy == "alice" && list[0].EndsAt.Equal(b.now.Add(time.Hour))
	})
	s.slackAct.Wait()

	evs, err := sinks.History(ctx, b.js, sinks.HistoryQuery{Project: b.project})
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
		"omswatch://slack omswatch.console.silence_created by alice until 2026-12-01T04:10:00Z"
	if got := strings.Join(trail, "\n"); got != want {
		t.Errorf("the audit trail has\n%s\nwant\n%s", got, want)
	}

	// A reload that keeps the token keeps the connection; one without it
	// closes it.
	s.syncSlackSocket(ctx, b.cfg)
	if n := fake.Opens(); n != 1 || s.socket == nil {
		t.Errorf("after a reload with the same token: %d connections opened, socket %v; want the one kept", n, s.socket)
	}
	without := *b.cfg
	without.Slack.AppToken = secret.String{}
	s.syncSlackSocket(ctx, &without)
	if s.socket != nil {
		t.Error("Socket Mode still runs without an app token")
	}
	out := logs.String()
	for line, n := range map[string]int{"Slack Socket Mode connected": 1, "Slack Socket Mode stopped": 1} {
		if got := strings.Count(out, line); got != n {
			t.Errorf("logged %q %d times, want %d:\n%s", line, got, n, out)
		}
	}
	if strings.Contains(out, testAppToken) {
		t.Errorf("the log shows the app token:\n%s", out)
	}
}

// A replica with a token Slack refuses says so in its log, without the
// token, and goes on without Socket Mode.
func TestSlackSocketModeRefusedTokenIsLogged(t *testing.T) {
	fake := proctest.StartSlackSocket(t, testAppToken)
	revoked := "xapp-1-A0TEST-0000000000-revokedrevokedrevokedrevoked"
	cfg, err := config.Load([]byte("oms: {mode: sim}\nslack: {app_token: "+revoked+", api_url: '"+fake.APIURL+"'}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var logs proctest.Buffer
	s := &Service{root: logs.Logger(), log: logs.Logger(), o: Options{Redactor: &secret.Redactor{}}}
	if s.slackAct, err = s.openSlackInteractions(cfg, time.Now); err != nil {
		t.Fatal(err)
	}
	s.syncSlackSocket(context.TODO(), cfg)
	select {
	case <-s.socket.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Socket Mode goes on with a refused token")
	}
	s.stopSlackSocket()
	out := logs.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "invalid_auth") || strings.Contains(out, revoked) {
		t.Errorf("want an error with invalid_auth and without the token in the log:\n%s", out)
	}
}
