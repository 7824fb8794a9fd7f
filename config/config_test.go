package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/sinks/natssink"
	"github.com/omswatch/omswatch/sinks/webhook"
	"go.yaml.in/yaml/v3"
)

// exampleEnv lists every variable config/example.yaml references, so the
// tests can run it with the environment empty and with the environment set.
var exampleEnv = []string{
	"OMS_REGION", "OMS_ENDPOINT", "OMS_ACCESS_KEY_ID", "OMS_ACCESS_KEY_SECRET", "OMS_ACCESS_KEY_SECRET_FILE",
	"OMS_SECURITY_TOKEN", "OMS_SECURITY_TOKEN_FILE", "SLACK_BOT_TOKEN", "SLACK_DBA_WEBHOOK_URL", "RELAY_URL",
	"RELAY_HMAC_SECRET", "RELAY_HMAC_SECRET_FILE",
}

func clearEnv(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		t.Setenv(name, "")
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
}

func TestShippedConfigsLoad(t *testing.T) {
	clearEnv(t, exampleEnv...)
	files, err := filepath.Glob("../testdata/config/valid/*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("valid configs: %v (%d files)", err, len(files))
	}
	files = append(files, "example.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := LoadFile(f); err != nil {
				t.Fatalf("LoadFile(%s):\n%v", f, err)
			}
		})
	}
}

func TestSimIsDefault(t *testing.T) {
	cfg, err := Load([]byte("oms: {mode: sim}\n"), "sim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.File = "sim.yaml"
	cfg.idx = nil
	want.OMS.Mode = omsapi.ModeSim
	if !reflect.DeepEqual(*cfg, want) {
		t.Fatalf("Load({}) = %+v\nwant Default() = %+v", *cfg, want)
	}
	if !cfg.OMS.Simulated() || !cfg.NATS.IsEmbedded() {
		t.Fatalf("mode sim and no nats.url must mean the simulator and the embedded server")
	}
}

// TestExampleWithEnvironment loads the example with every variable it
// references set, secrets through their _file forms where it has both.
func TestExampleWithEnvironment(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	clearEnv(t, exampleEnv...)
	t.Setenv("OMS_REGION", "ap-southeast-1")
	t.Setenv("OMS_ENDPOINT", "http://127.0.0.1:8089")
	t.Setenv("OMS_ACCESS_KEY_ID", "LTAI5tExampleId")
	t.Setenv("OMS_ACCESS_KEY_SECRET_FILE", write("ak", "ak-secret-from-file\n"))
	t.Setenv("OMS_SECURITY_TOKEN", "sts-token-inline")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
	t.Setenv("SLACK_DBA_WEBHOOK_URL", "https://hooks.slack.com/services/T1/B1/from-env")
	t.Setenv("RELAY_URL", "https://relay.internal/hook")
	t.Setenv("RELAY_HMAC_SECRET_FILE", write("hmac", "hmac-from-file\r\n"))

	cfg, err := LoadFile("example.yaml")
	if err != nil {
		t.Fatalf("example.yaml with its environment set:\n%v", err)
	}
	checks := []struct{ name, got, want string }{
		{"region", cfg.OMS.Region, "ap-southeast-1"},
		{"endpoint", cfg.OMS.EndpointURL(), "http://127.0.0.1:8089"},
		{"access key id", cfg.OMS.AccessKeyID, "LTAI5tExampleId"},
		{"access key secret (file, newline trimmed)", cfg.OMS.AccessKeySecret.Reveal(), "ak-secret-from-file"},
		{"security token", cfg.OMS.SecurityToken.Reveal(), "sts-token-inline"},
		{"slack token", cfg.Slack.Token.Reveal(), "xoxb-from-env"},
		{"slack webhook", cfg.Slack.Targets["dba-team"].WebhookURL.Reveal(), "https://hooks.slack.com/services/T1/B1/from-env"},
		{"webhook url", cfg.Webhook.Targets["relay"].URL.Reveal(), "https://relay.internal/hook"},
		{"webhook secret (file, CRLF trimmed)", cfg.Webhook.Targets["relay"].Secret.Reveal(), "hmac-from-file"},
		{"included routes come last", cfg.Rules.Routes[len(cfg.Rules.Routes)-1].Name, "conditions-to-oncall"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}

	// Both forms of one secret set is an error at the _file key.
	t.Setenv("OMS_ACCESS_KEY_SECRET", "ak-inline")
	_, err = LoadFile("example.yaml")
	if err == nil || !regexp.MustCompile(`^example\.yaml:\d+:3: oms\.access_key_secret_file: set access_key_secret or access_key_secret_file, not both$`).MatchString(err.Error()) {
		t.Fatalf("both forms set: got %v", err)
	}
}

func TestExampleWithoutEnvironmentUsesDefaults(t *testing.T) {
	clearEnv(t, exampleEnv...)
	cfg, err := LoadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.OMS.EndpointURL(), "https://oceanbasepro.cn-hangzhou.aliyuncs.com"; got != want {
		t.Errorf("endpoint = %q, want %q", got, want)
	}
	if !cfg.OMS.AccessKeySecret.IsZero() || cfg.OMS.Credentials != omsapi.CredentialsDefaultChain {
		t.Errorf("without keys the example must use the default credential chain")
	}
	if p := cfg.Position("oms.region"); p.File != "example.yaml" || p.Line != 27 || p.Column != 11 {
		t.Errorf("Position(oms.region) = %v, want example.yaml:27:11", p)
	}
}

// schemaKeys lists every key the configuration accepts (with the _file
// variants of secrets), walking the section types.
func schemaKeys(t reflect.Type, into map[string]bool) {
	switch t.Kind() {
	case reflect.Slice, reflect.Map:
		schemaKeys(t.Elem(), into)
		return
	case reflect.Struct:
	default:
		return
	}
	for _, f := range fieldsOf(t) {
		into[f.name] = true
		if f.secret {
			into[f.name+fileSuffix] = true
		}
		if f.secret || f.Type(t) == reflect.TypeFor[Expr]() || f.Type(t) == reflect.TypeFor[Template]() {
			continue
		}
		schemaKeys(f.Type(t), into)
	}
}

// Type returns the field's type within its struct.
func (f field) Type(t reflect.Type) reflect.Type { return t.FieldByIndex(f.index).Type }

func TestExampleCoversEveryKey(t *testing.T) {
	keys := map[string]bool{}
	schemaKeys(reflect.TypeFor[Config](), keys)
	schemaKeys(reflect.TypeFor[ruleFile](), keys)
	var text strings.Builder
	for _, f := range []string{"example.yaml", "example-rules.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text.Write(b)
	}
	for k := range keys {
		// Set, or shown commented out, as a key at the start of a line.
		re := regexp.MustCompile(`(?m)^\s*(#\s*)?(-\s+)?` + regexp.QuoteMeta(k) + `:`)
		if !re.MatchString(text.String()) {
			t.Errorf("config/example.yaml does not show the key %q", k)
		}
	}
}

// TestExampleShowsDefaults keeps defaults.go and the comments of
// example.yaml in step: every default that is not a zero value must be
// written as "default: VALUE" on the line of its key in the example.
func TestExampleShowsDefaults(t *testing.T) {
	b, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	defaults := map[string]string{}
	collectDefaults(reflect.ValueOf(Default()), "", defaults)
	var nt natssink.Config
	nt.SetDefaults()
	defaults["nats.targets.events.subject"] = nt.Subject.Text
	var wt webhook.Config
	wt.SetDefaults()
	defaults["webhook.targets.relay.timeout"] = wt.Timeout.String()
	var c Condition
	c.SetDefaults()
	defaults["rules.conditions.0.severity"] = c.Severity
	var rl RateLimit
	rl.SetDefaults()
	defaults["rules.rate_limits.oncall.burst"] = fmt.Sprint(rl.Burst)
	if len(defaults) < 30 {
		t.Fatalf("found only %d defaults; the walk is broken", len(defaults))
	}
	lines := strings.Split(string(b), "\n")
	for path, value := range defaults {
		key := findKey(doc.Content[0], strings.Split(path, "."))
		if key == nil {
			t.Errorf("example.yaml does not set %s (default %s)", path, value)
			continue
		}
		if line := lines[key.Line-1]; !strings.Contains(line, "default: "+value) {
			t.Errorf("example.yaml:%d: %s should say \"default: %s\": %s", key.Line, path, value, strings.TrimSpace(line))
		}
	}
}

// collectDefaults records the non-zero leaves of a default configuration
// as they are written in YAML.
func collectDefaults(v reflect.Value, path string, into map[string]string) {
	if v.IsZero() {
		return
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		into[path] = s.String() // Duration, ByteSize, Rate
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for _, f := range fieldsOf(v.Type()) {
			collectDefaults(v.FieldByIndex(f.index), strings.TrimPrefix(path+"."+f.name, "."), into)
		}
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = v.Index(i).String()
		}
		into[path] = "[" + strings.Join(items, ", ") + "]"
	case reflect.Float64:
		into[path] = strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Int:
		into[path] = strconv.Itoa(int(v.Int()))
	case reflect.Bool:
		into[path] = strconv.FormatBool(v.Bool())
	case reflect.String:
		into[path] = v.String()
	default:
		panic("collectDefaults: no format for " + v.Type().String())
	}
}

// findKey finds the key node at a path of mapping keys and list indexes.
func findKey(n *yaml.Node, path []string) *yaml.Node {
	var key *yaml.Node
	for _, step := range path {
		switch n.Kind {
		case yaml.MappingNode:
			key = nil
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == step {
					key, n = n.Content[i], n.Content[i+1]
					break
				}
			}
			if key == nil {
				return nil
			}
		case yaml.SequenceNode:
			if step != "0" || len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return nil
		}
	}
	return key
}
