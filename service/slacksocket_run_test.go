package service

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks/slack"
)

// run connects to Slack in Socket Mode when the configuration has an app
// token, without an HTTP listener, and a press acts on the replica's
// NATS; a reload that removes the token closes the connection, one that
// adds it connects again; the end of run's context stops it; no log line
// shows the token.
func TestRunConnectsSocketModeAndReloads(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	fake := proctest.StartSlackSocket(t, testAppToken)
	told := make(chan string, 10)
	respond := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		told <- m.Text
	}))
	defer respond.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "omswatch.yaml")
	write := func(slackSection string) {
		t.Helper()
		doc := "oms: {mode: sim}\nnats: {embedded: {port: -1}}\nstore: {dir: '" + filepath.Join(dir, "store") + "'}\n" +
			"http: {listen: ''}\nincidents: {enabled: true}\nslack: {" + slackSection + "}\n"
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	withToken := "app_token: " + testAppToken + ", api_url: '" + fake.APIURL + "'"
	write(withToken)
	var logs proctest.Buffer
	o := Options{ConfigFile: file, NewLogger: func(config.Log) (*slog.Logger, error) { return logs.Logger(), nil },
		Redactor: &secret.Redactor{}, Stdout: &proctest.Buffer{}, Stderr: &proctest.Buffer{}, Format: "json",
		ShutdownTimeout: 10 * time.Second, SimProjects: 2, SimTick: time.Second, WatchInterval: 20 * time.Millisecond}
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Run(run, o) }()
	fake.WaitConnected(t, 30*time.Second)

	fake.Send(t, "env-1", "interactive", proctest.SlackPress("trig-1", respond.URL, slack.ActionAck, "inc-nothing"))
	fake.WaitAck(t, "env-1", 3*time.Second)
	select {
	case text := <-told:
		if !strings.Contains(text, "no such incident") {
			t.Errorf("told the user %q, want no such incident", text)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the user was not told what the press did")
	}

	write("api_url: '" + fake.APIURL + "'")
	waitUntil(t, 20*time.Second, "Socket Mode closed by the reload without a token", func() bool {
		return strings.Contains(logs.String(), "Slack Socket Mode stopped")
	})
	write(withToken)
	fake.WaitConnected(t, 20*time.Second)
	if n := fake.Opens(); n != 2 {
		t.Errorf("apps.connections.open called %d times, want 2", n)
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
	out := logs.String()
	if n := strings.Count(out, "Slack Socket Mode stopped"); n != 2 {
		t.Errorf("Socket Mode stopped %d times, want 2 (the reload, the shutdown):\n%s", n, out)
	}
	if strings.Contains(out, testAppToken) {
		t.Errorf("the log shows the app token:\n%s", out)
	}
}
