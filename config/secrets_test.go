package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Secrets finds every secret of a configuration wherever it was written
// (inline, in a file, in a map of headers), and Files every file read.
func TestSecretsAndFilesAreListed(t *testing.T) {
	cfg, err := load(t, map[string]string{
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
  token_file: secrets/slack_token
  app_token: xapp-1-A0TEST-APPTOKEN-inline-6b6b
  targets:
    hook: {webhook_url: "https://hooks.slack.com/services/T9/B9/WEBHOOK-d00d"}
webhook:
  targets:
    relay:
      url: https://relay.example.com/hook?access_token=URLTOKEN-e1e1
      secret: HOOKSECRET-inline-c3f9
      headers: {Authorization: "Bearer HOOKHEADER-inline-55aa"}
rules:
  include: [rules.yaml]
`,
		"secrets/slack_token": "SLACKTOKEN-file-a8e4\n",
		"rules.yaml":          "routes: []\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range cfg.Secrets() {
		got = append(got, s.Reveal())
	}
	for _, want := range knownSecrets {
		if want == "ONPREMPW-file-4d1e" {
			continue // an on-premise password: not in this cloud configuration
		}
		if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("Secrets() misses %s: %q", want, got)
		}
	}
	files := cfg.Files()
	for i, f := range files {
		files[i] = filepath.ToSlash(f)
	}
	want := []string{"main.yaml", "secrets/slack_token", "rules.yaml"}
	if !slices.Equal(files, want) {
		t.Errorf("Files() = %q, want %q", files, want)
	}
}
