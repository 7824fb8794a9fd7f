package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// knownSecrets are written into configurations below; none may ever be
// printed.
var knownSecrets = []string{
	"AKSECRET-inline-7f3a", "STSTOKEN-inline-91c2", "ONPREMPW-file-4d1e", "NATSPW-inline-0b7c",
	"SLACKTOKEN-file-a8e4", "HOOKSECRET-inline-c3f9", "HOOKHEADER-inline-55aa", "hooks.slack.com/services/T9/B9/WEBHOOK-d00d",
	"relay.example.com/hook?access_token=URLTOKEN-e1e1", "APPTOKEN-inline-6b6b",
}

func TestSecretsNeverPrinted(t *testing.T) {
	cloud := map[string]string{
		"main.yaml": `
oms:
  mode: cloud
  region: cn-hangzhou
  access_key_id: LTAI5tExample
  access_key_secret: AKSECRET-inline-7f3a
  security_token: STSTOKEN-inline-91c2
discovery: {list: {enabled: true}}
nats:
  url: nats://nats.example.com:4222
  user: omswatch
  password: NATSPW-inline-0b7c
slack:
  token_file: slack_token
  app_token: xapp-1-A0TEST-APPTOKEN-inline-6b6b
  targets:
    oncall: {channel: "#oms"}
    hook: {webhook_url: "https://hooks.slack.com/services/T9/B9/WEBHOOK-d00d"}
webhook:
  targets:
    relay:
      url: https://relay.example.com/hook?access_token=URLTOKEN-e1e1
      secret: HOOKSECRET-inline-c3f9
      headers: {Authorization: "Bearer HOOKHEADER-inline-55aa"}
`,
		"slack_token": "SLACKTOKEN-file-a8e4\n",
	}
	cfg, err := load(t, cloud)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OMS.AccessKeySecret.Reveal() != "AKSECRET-inline-7f3a" || cfg.Slack.Token.Reveal() != "SLACKTOKEN-file-a8e4" ||
		cfg.Slack.AppToken.Reveal() != "xapp-1-A0TEST-APPTOKEN-inline-6b6b" {
		t.Fatal("the secrets did not load; the test would prove nothing")
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", cfg),
		"%+v":  fmt.Sprintf("%+v", cfg),
		"%#v":  fmt.Sprintf("%#v", cfg),
		"%+v*": fmt.Sprintf("%+v", *cfg),
		"json": string(js),
	}
	for name, out := range outputs {
		assertNoSecret(t, name, out)
	}

	// Every kind of failure around a secret: both forms, bad URLs, a
	// secret that is not a string, secrets next to unknown keys.
	broken := map[string]string{
		"main.yaml": `
oms:
  mode: onprem
  url: https://oms.example.com
  username: omswatch
  password: ONPREMPW-file-4d1e
  password_file: pw
  acess_key_secret: AKSECRET-inline-7f3a
nats:
  password: NATSPW-inline-0b7c
  token: [STSTOKEN-inline-91c2]
slack:
  token: SLACKTOKEN-file-a8e4
  token_file: pw
  app_token: xoxb-APPTOKEN-inline-6b6b
  targets:
    hook: {webhook_url: "ftp://hooks.slack.com/services/T9/B9/WEBHOOK-d00d", channel: "#x"}
    hook2: {webhook_url: "hooks.slack.com/services/T9/B9/WEBHOOK-d00d"}
webhook:
  targets:
    relay:
      url: relay.example.com/hook?access_token=URLTOKEN-e1e1
      secret: HOOKSECRET-inline-c3f9
      secret_file: pw
      headers: {"Bad Header": "Bearer HOOKHEADER-inline-55aa", X-Ok: "a\nHOOKHEADER-inline-55aa"}
discovery: {projects: [np_1]}
`,
		"pw": "ONPREMPW-file-4d1e\n",
	}
	_, err = load(t, broken)
	if err == nil {
		t.Fatal("the broken configuration loaded")
	}
	if n := strings.Count(err.Error(), "\n") + 1; n < 10 || !strings.Contains(err.Error(), "slack.app_token: not an app-level token") {
		t.Fatalf("only %d errors; the test wants one per broken secret:\n%v", n, err)
	}
	assertNoSecret(t, "errors", err.Error())
}

func assertNoSecret(t *testing.T, name, out string) {
	t.Helper()
	for _, s := range knownSecrets {
		if strings.Contains(out, s) {
			t.Errorf("%s output contains the secret %q:\n%s", name, s, out)
		}
	}
}
