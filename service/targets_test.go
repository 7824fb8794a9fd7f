package service

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
	"github.com/omswatch/omswatch/sinks/slack"
)

// Without slack.project_url a message still links the project's name, to
// the console of where it lives; a configured project_url wins; the
// simulator has no console and so no link.
func TestSlackLinksTheProjectToItsConsoleByDefault(t *testing.T) {
	cases := []struct {
		name, want string
		oms        omsapi.Config
		projectURL string
	}{
		{"on-premise", "<https://oms.example.internal:8089/|*orders-sync*>", omsapi.Config{Mode: omsapi.ModeOnPrem, URL: "https://oms.example.internal:8089/api"}, ""},
		{"cloud", "<https://oceanbasenext.console.aliyun.com/?regionId=cn-hangzhou|*orders-sync*>", omsapi.Config{Mode: omsapi.ModeCloud, Region: "cn-hangzhou"}, ""},
		{"configured", "<https://wiki.example/np_1|*orders-sync*>", omsapi.Config{Mode: omsapi.ModeCloud, Region: "cn-hangzhou"}, "https://wiki.example/{{.Project.ID}}"},
		{"simulator", "*orders-sync*", omsapi.Config{Mode: omsapi.ModeSim}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			posted := make(chan string, 1)
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				var msg struct{ Text string }
				if err := json.Unmarshal(body, &msg); err != nil {
					t.Errorf("not a Slack webhook message: %s", body)
				}
				posted <- msg.Text
				io.WriteString(w, "ok")
			}))
			defer hook.Close()
			cfg := &config.Config{OMS: tc.oms}
			cfg.Slack.ProjectURL = setting.Template{Text: tc.projectURL}
			c, err := slack.NewClient(slackConfig(cfg), slack.ClientOptions{Redactor: &secret.Redactor{}})
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.Target("oncall", slack.Target{WebhookURL: secret.New(hook.URL)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			e := event.Event{ID: "e1", Source: tc.oms.Source(), Type: event.TypeProjectStatusChanged, Subject: "np_1",
				Time: time.Now(), Severity: event.Critical,
				Data: event.Data{Project: event.Project{ID: "np_1", Name: "orders-sync", Status: "FAILED"},
					Fields: map[string]any{"from": "RUNNING", "to": "FAILED"}}}
			if err := s.Send(context.Background(), sinks.Notification{Target: "oncall", Events: []event.Event{e}}); err != nil {
				t.Fatal(err)
			}
			if text := <-posted; !strings.Contains(text, tc.want) {
				t.Errorf("message %q does not name the project as %q", text, tc.want)
			}
		})
	}
}
