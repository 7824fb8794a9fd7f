package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/natssink"
	"github.com/omswatch/omswatch/sinks/slack"
	"github.com/omswatch/omswatch/sinks/webhook"
)

// TestEventType is the type of the message `omswatch test` sends: outside
// the oms.* catalog, so that no consumer mistakes it for news about a
// project.
const TestEventType = "omswatch.test"

// TestOptions are what `omswatch test` adds to the configuration.
type TestOptions struct {
	Logger   *slog.Logger
	Redactor *secret.Redactor
	// Stdout is where the log target prints.
	Stdout io.Writer
}

// TestTarget sends one clearly marked test message to the target named
// name, directly (not through the outbox: it is no event of a project),
// and returns what the target answered. Slack gets a plain message in the
// channel (bot mode) or through its webhook; a webhook a POST of a
// CloudEvent of type omswatch.test; a NATS target that event on the
// subject its template gives. It is how one checks credentials, channels
// and URLs before a real alert needs them.
func TestTarget(ctx context.Context, cfg *config.Config, name string, o TestOptions) (string, error) {
	host, _ := os.Hostname()
	text := fmt.Sprintf("omswatch test message to target %s from %s at %s: this target works. It says nothing about any project.",
		name, host, time.Now().UTC().Format(time.RFC3339))
	e := testEvent(name, text)
	n := sinks.Notification{Target: name, Events: []event.Event{e}}
	switch {
	case name == config.LogTarget:
		fmt.Fprintln(o.Stdout, event.Summary(e))
		return "printed on stdout", nil
	case hasKey(cfg.Slack.Targets, name):
		c, err := slack.NewClient(slackConfig(cfg), slack.ClientOptions{Redactor: o.Redactor})
		if err != nil {
			return "", err
		}
		s, err := c.Target(name, cfg.Slack.Targets[name], nil)
		if err != nil {
			return "", err
		}
		return s.Test(ctx, ":test_tube: "+text)
	case hasKey(cfg.Webhook.Targets, name):
		s, err := webhook.New(name, cfg.Webhook.Targets[name], o.Redactor)
		if err != nil {
			return "", err
		}
		if err := s.Send(ctx, n); err != nil {
			return "", err
		}
		return "accepted (HTTP 2xx) the CloudEvent " + e.ID + " of type " + TestEventType, nil
	case hasKey(cfg.Alertmanager.Targets, name), hasKey(cfg.PagerDuty.Targets, name):
		return testPaging(ctx, cfg, name, e.ID, text, o.Redactor)
	case hasKey(cfg.NATS.Targets, name):
		a := &app{}
		defer a.close()
		js, err := historyStream(ctx, a, cfg, o.Logger)
		if err != nil {
			return "", err
		}
		s, err := natssink.New(cfg.NATS.Targets[name], js.Conn())
		if err != nil {
			return "", err
		}
		subject, err := s.Subject(e)
		if err != nil {
			return "", err
		}
		if err := s.Send(ctx, n); err != nil {
			return "", err
		}
		return fmt.Sprintf("published the CloudEvent %s of type %s on %s (%s)", e.ID, TestEventType, subject,
			js.Conn().ConnectedUrlRedacted()), nil
	}
	var names []string
	for _, t := range cfg.Targets() {
		names = append(names, t.Name)
	}
	return "", Invalidf("no target %q in %s; its targets: %v", name, cfg.File, names)
}

// testEvent is the test message as a CloudEvent.
func testEvent(target, text string) event.Event {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return event.Event{ID: "omswatch-test-" + hex.EncodeToString(b), Source: "omswatch://test", Type: TestEventType,
		Subject: "omswatch-test", Time: time.Now().UTC(), Severity: event.Info,
		Data: event.Data{Project: event.Project{ID: "omswatch-test", Name: "omswatch test message"},
			Fields: map[string]any{"message": text, "target": target}}}
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}
