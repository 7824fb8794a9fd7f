package config

import (
	"strings"
	"testing"
	"time"
)

// TestAcceptedValues loads values at the edges of what each section allows:
// strictness must not turn a legitimate configuration into an error.
func TestAcceptedValues(t *testing.T) {
	cases := []struct {
		name, doc string
		check     func(*Config) bool
	}{
		{"cron with seconds and a zone", `schedule: {default: "CRON_TZ=Asia/Shanghai */10 * 9-18 * * MON-FRI"}`, nil},
		{"five-field cron", `schedule: {default: "*/5 * * * *"}`, nil},
		{"@every a whole second", `schedule: {default: "@every 1s", timezone: Asia/Shanghai}`,
			func(c *Config) bool { return c.Schedule.Location().String() == "Asia/Shanghai" }},
		{"descriptors", `discovery: {list: {enabled: true, refresh: "@hourly"}}`, nil},
		{"page sizes 1 and 150", "discovery: {list: {enabled: true, page_size: 1}}", nil},
		{"page size 150", "discovery: {list: {enabled: true, page_size: 150}}", nil},
		{"five label ids", "discovery: {list: {enabled: true, label_ids: [a, b, c, d, e]}}", nil},
		{"VERIFY on premise", "oms: {mode: onprem, url: http://oms:8089, username: u, password: p}\ndiscovery: {list: {enabled: true, types: [VERIFY]}}", nil},
		{"unknown region with an endpoint", "oms: {mode: cloud, region: xx-newregion-1, endpoint: oceanbasepro.xx-newregion-1.aliyuncs.com}\ndiscovery: {projects: [np_1]}",
			func(c *Config) bool { return c.OMS.EndpointURL() == "https://oceanbasepro.xx-newregion-1.aliyuncs.com" }},
		{"endpoint with a port", "oms: {mode: cloud, region: cn-hangzhou, endpoint: 'localhost:8089'}\ndiscovery: {projects: [np_1]}", nil},
		{"static keys with an STS token", "oms: {mode: cloud, region: cn-beijing, credentials: static, access_key_id: id, access_key_secret: s, security_token: t}\ndiscovery: {projects: [np_1]}", nil},
		{"loopback forms", "nats: {embedded: {host: '::1', port: -1}}", nil},
		{"localhost", "nats: {embedded: {host: localhost, max_payload: 64MiB}}", nil},
		{"non-loopback on purpose", "nats: {embedded: {host: 0.0.0.0, allow_non_loopback: true}}", nil},
		{"a NATS cluster with TLS", "nats: {url: 'tls://a:4222, tls://b:4222', user: u, password: p}", nil},
		{"ha over a NATS cluster", "nats: {url: 'nats://a:4222,nats://b:4222'}\nha: {enabled: true, replica_id: omswatch-0.example, lease_ttl: 9s, renew_interval: 4.5s}\nstore: {replicas: 3}",
			func(c *Config) bool {
				return c.HA.Enabled && c.HA.Bucket == "omswatch-leases" && c.HA.RenewInterval.Duration() == 4500*time.Millisecond && c.Store.Replicas == 3
			}},
		{"dedup window equal to max age", "store: {dedup_window: 1d, retention: {max_age: 24h}}", nil},
		{"http off", `http: {listen: ""}`, func(c *Config) bool { return c.HTTP.Listen == "" }},
		{"http on all interfaces", `http: {listen: ":9090"}`, nil},
		{"http on a free port", `http: {listen: "127.0.0.1:0"}`, nil},
		{"regex and glob matchers", `rules: {routes: [{match: {names: ["~^(prod|stage)-"], projects: ["np_?x*"], types: ["*"]}, to: [log]}]}`, nil},
		{"a dropping route", `rules: {routes: [{match: {types: [oms.step.progress_changed]}, drop: true}], default_to: []}`,
			func(c *Config) bool { return c.Rules.Routes[0].Drop && len(c.Rules.DefaultTo) == 0 }},
		{"target names with dots", "webhook: {targets: {team.dba: {url: 'http://x'}}}\nrules: {default_to: [team.dba]}", nil},
		{"a fractional qps", "oms: {mode: onprem, url: http://oms:8089, username: u, password: p, qps: 0.5}\ndiscovery: {projects: [np_1]}", func(c *Config) bool { return c.OMS.QPS == 0.5 }},
		{"rates", "slack: {rate_limit: 30/m}", func(c *Config) bool { return c.Slack.RateLimit.PerSecond() == 0.5 }},
		{"durations in days and weeks", "store: {retention: {max_age: 2w}}\nrules: {repeat_interval: 1d}",
			func(c *Config) bool { return c.Store.Retention.MaxAge.Duration() == 14*24*time.Hour }},
		{"templates with functions", `slack: {targets: {a: {webhook_url: "http://x", template: {default: "{{ escape .Project.Name | upper }}"}}}}`, nil},
		{"a literal dollar", `log: {level: "$${x}"}`, nil}, // rejected below: level "${x}" is no level
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load([]byte(withSim(tc.doc)), "t.yaml")
			if tc.name == "a literal dollar" {
				if err == nil || !strings.Contains(err.Error(), `"${x}" is not allowed`) {
					t.Fatalf("$$ must give a literal $: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\n=> %v", tc.doc, err)
			}
			if tc.check != nil && !tc.check(cfg) {
				t.Fatalf("%s loaded as %+v", tc.doc, cfg)
			}
		})
	}
}

// TestSemanticErrorsPointAtTheValue checks that errors found after decoding
// carry the position of the offending value, or of the section when the
// value is a default.
func TestSemanticErrorsPointAtTheValue(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"rules:\n  routes:\n    - to: [log, nope]\n", "t.yaml:3:17: rules.routes[0].to[1]: unknown target"},
		{"oms:\n  mode: onprem\n", "t.yaml:1:1: oms.password: is required"},
		{"store:\n  retention:\n    max_age: 1m\n", "t.yaml:1:1: store.dedup_window: 10m is longer than"},
		{"oms:\n  mode: cloud\n  region: ${OMSWATCH_T_REGION:-cn-hangzhou}\n  signature: v2\n", "t.yaml:4:14: oms.signature:"},
	}
	for _, tc := range cases {
		_, err := Load([]byte(withSim(tc.doc)), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q\n=> %v\nwant a line starting %q", tc.doc, err, tc.want)
		}
	}
}

// withSim adds `oms: {mode: sim}` to a document that has no oms section,
// for tests of other sections (a file must say which OMS it watches).
func withSim(doc string) string {
	if strings.Contains(doc, "oms:") || strings.Contains(doc, "oms: ") {
		return doc
	}
	if strings.TrimSpace(doc) == "{}" {
		return "oms: {mode: sim}\n"
	}
	return doc + "\noms: {mode: sim}\n"
}
