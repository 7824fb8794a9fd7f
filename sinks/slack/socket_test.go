package slack_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks/slack"
)

const appToken = "xapp-1-A0TEST-7412589630-5f2a9c8d7e6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e"

// waitFor waits up to within for cond, checking it every few
// milliseconds, and fails the test when it does not come.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (a *recordedActions) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}

// Over Socket Mode each envelope is acknowledged and its press done as
// over HTTP: the same envelope again (Slack retrying it) is acknowledged
// and not done twice, other envelopes are acknowledged and ignored; when
// the connection drops, or Slack asks for a new one, the client connects
// again and goes on; each
// change of the connection is logged once, never with the token; the
// end of ctx stops it without an error.
func TestSocketModeDoesThePresses(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	fake := proctest.StartSlackSocket(t, appToken)
	var logs proctest.Buffer
	acts := &recordedActions{}
	h, err := slack.NewInteractions(slack.InteractionOptions{Actions: acts, Logger: logs.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- h.RunSocketMode(run, slack.SocketOptions{AppToken: secret.New(appToken), APIURL: fake.APIURL})
	}()
	fake.WaitConnected(t, 10*time.Second)

	fake.Send(t, "env-1", "interactive", proctest.SlackPress("trig-1", "", slack.ActionSilence1h, "np_1"))
	fake.WaitAck(t, "env-1", 3*time.Second) // Slack's limit
	want := []string{"silence np_1 for 1h0m0s by alice: from Slack, for 1 h"}
	waitFor(t, 10*time.Second, "the press done", func() bool { return len(acts.list()) == 1 })

	fake.Send(t, "env-1", "interactive", proctest.SlackPress("trig-1", "", slack.ActionSilence1h, "np_1"))
	fake.WaitAck(t, "env-1", 3*time.Second)
	fake.Send(t, "env-2", "events_api", map[string]any{"type": "event_callback", "event": map[string]any{"type": "app_mention"}})
	fake.WaitAck(t, "env-2", 3*time.Second)

	fake.Drop()
	fake.WaitConnected(t, 15*time.Second)
	fake.Send(t, "env-3", "interactive", proctest.SlackPress("trig-2", "", slack.ActionAck, "inc-0001"))
	fake.WaitAck(t, "env-3", 3*time.Second)
	want = append(want, "ack inc-0001 by alice: from Slack")
	waitFor(t, 10*time.Second, "the press after the reconnection done", func() bool { return len(acts.list()) == 2 })
	fake.Send(t, "", "disconnect", map[string]any{}) // Slack asks for a new connection (refresh_requested)
	fake.WaitConnected(t, 15*time.Second)
	waitFor(t, 10*time.Second, "the third connection logged", func() bool {
		return strings.Count(logs.String(), "Slack Socket Mode connected") == 3
	})
	h.Wait()
	if got := acts.list(); !slices.Equal(got, want) {
		t.Errorf("actions %q, want %q (the repeated envelope done once)", got, want)
	}
	if n := fake.Opens(); n != 3 {
		t.Errorf("apps.connections.open called %d times, want 3", n)
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stopped with %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Socket Mode did not stop when its context ended")
	}
	out := logs.String()
	for line, n := range map[string]int{"Slack Socket Mode connected": 3, "Slack Socket Mode disconnected; connecting again": 2,
		"came again; it was done once": 1, "Slack Socket Mode stopped": 1} {
		if got := strings.Count(out, line); got != n {
			t.Errorf("logged %q %d times, want %d:\n%s", line, got, n, out)
		}
	}
	if strings.Contains(out, appToken) || strings.Contains(out, "t-1234") {
		t.Errorf("the log shows the app token or the connection's ticket:\n%s", out)
	}
}

// A token Slack refuses ends Socket Mode with an error that says so, at
// once (a new token needs a reload), and shows no token.
func TestSocketModeRefusedToken(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	fake := proctest.StartSlackSocket(t, appToken)
	var logs proctest.Buffer
	h, err := slack.NewInteractions(slack.InteractionOptions{Actions: &recordedActions{}, Logger: logs.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	revoked := "xapp-1-A0TEST-0000000000-revokedrevokedrevokedrevoked"
	err = h.RunSocketMode(ctx, slack.SocketOptions{AppToken: secret.New(revoked), APIURL: fake.APIURL})
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("error %v, want invalid_auth", err)
	}
	if n := fake.Opens(); n != 1 {
		t.Errorf("apps.connections.open called %d times, want 1 (no retry of a refused token)", n)
	}
	if strings.Contains(err.Error()+logs.String(), revoked) {
		t.Errorf("the token shows in %v or the log:\n%s", err, logs.String())
	}
	if err := h.RunSocketMode(ctx, slack.SocketOptions{APIURL: fake.APIURL}); err == nil {
		t.Error("ran without an app token")
	}
}

// While Slack is down the client retries with backoff, and the outage is
// one warning in the log, not one a retry; then it connects.
func TestSocketModeRetriesAnOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	fake := proctest.StartSlackSocket(t, appToken)
	fake.FailOpens(3)
	var logs proctest.Buffer
	h, err := slack.NewInteractions(slack.InteractionOptions{Actions: &recordedActions{}, Logger: logs.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- h.RunSocketMode(ctx, slack.SocketOptions{AppToken: secret.New(appToken), APIURL: fake.APIURL})
	}()
	fake.WaitConnected(t, 20*time.Second)
	waitFor(t, 10*time.Second, "the connection logged", func() bool {
		return strings.Contains(logs.String(), "Slack Socket Mode connected")
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("stopped with %v", err)
	}
	out := logs.String()
	if n := fake.Opens(); n != 4 {
		t.Errorf("apps.connections.open called %d times, want 4 (3 failed)", n)
	}
	if n := strings.Count(out, "cannot connect to Slack Socket Mode"); n != 1 || strings.Contains(out, appToken) {
		t.Errorf("want one warning for the outage, without the token:\n%s", out)
	}
}
