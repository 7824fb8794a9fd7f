package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExpandEnv(t *testing.T) {
	clearEnv(t, "OMSWATCH_T_UNSET")
	t.Setenv("OMSWATCH_T_SET", "value")
	t.Setenv("OMSWATCH_T_EMPTY", "")
	cases := []struct {
		in, want string
		problem  string // substring of the problem, "" for none
		offset   int
	}{
		{"plain", "plain", "", 0},
		{"${OMSWATCH_T_SET}", "value", "", 0},
		{"a-${OMSWATCH_T_SET}-b", "a-value-b", "", 0},
		{"${OMSWATCH_T_UNSET:-fallback}", "fallback", "", 0},
		{"${OMSWATCH_T_EMPTY:-fallback}", "fallback", "", 0},
		{"${OMSWATCH_T_EMPTY}", "", "", 0},
		{"${OMSWATCH_T_UNSET:-}", "", "", 0},
		{"${OMSWATCH_T_UNSET:-a:-b}", "a:-b", "", 0},
		{"$$", "$", "", 0},
		{"$${OMSWATCH_T_SET}", "${OMSWATCH_T_SET}", "", 0},
		{"pa$sword$", "pa$sword$", "", 0},
		{"x ${OMSWATCH_T_UNSET}", "x ", "OMSWATCH_T_UNSET is not set", 2},
		{"${1X}", "", "does not name an environment variable", 0},
		{"${}", "", "does not name an environment variable", 0},
		{"ab${OMSWATCH_T_SET", "ab", "is not closed", 2},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, problems := expandEnv(tc.in)
			if got != tc.want {
				t.Errorf("expandEnv(%q) = %q, want %q", tc.in, got, tc.want)
			}
			switch {
			case tc.problem == "" && len(problems) > 0:
				t.Errorf("unexpected problems %+v", problems)
			case tc.problem != "" && (len(problems) != 1 || !strings.Contains(problems[0].msg, tc.problem) || problems[0].offset != tc.offset):
				t.Errorf("problems = %+v, want one containing %q at offset %d", problems, tc.problem, tc.offset)
			}
		})
	}
}

// load writes files into a temporary directory and loads the first one.
func load(t *testing.T, files map[string]string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if name == "main.yaml" {
			content = withSim(content)
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return LoadFile("main.yaml")
}

func TestSecretFiles(t *testing.T) {
	clearEnv(t, "OMSWATCH_T_FILE")
	cases := []struct {
		name    string
		files   map[string]string
		want    string
		wantErr string
	}{
		{"relative to the config, newline trimmed",
			map[string]string{"main.yaml": "slack: {token_file: s/token}", "s/token": "xoxb-1\n"}, "xoxb-1", ""},
		{"CRLF trimmed", map[string]string{"main.yaml": "slack: {token_file: tok}", "tok": "xoxb-2\r\n"}, "xoxb-2", ""},
		{"inner newlines kept", map[string]string{"main.yaml": "slack: {token_file: tok}", "tok": "a\nb\n"}, "a\nb", ""},
		{"empty _file value means unset",
			map[string]string{"main.yaml": "slack: {token: xoxb-3, token_file: '${OMSWATCH_T_FILE:-}'}"}, "xoxb-3", ""},
		{"empty inline value lets the file win",
			map[string]string{"main.yaml": "slack: {token: '', token_file: tok}", "tok": "xoxb-4"}, "xoxb-4", ""},
		{"both set, in either order",
			map[string]string{"main.yaml": "slack:\n  token_file: tok\n  token: xoxb-5\n", "tok": "xoxb-6"}, "",
			"main.yaml:2:3: slack.token_file: set token or token_file, not both"},
		{"missing", map[string]string{"main.yaml": "slack: {token_file: nope}"}, "",
			`main.yaml:1:21: slack.token_file: cannot read "nope": no such file`},
		{"only blank lines", map[string]string{"main.yaml": "slack: {token_file: tok}", "tok": "\n\n"}, "",
			`main.yaml:1:21: slack.token_file: "tok" is empty; it should hold the token`},
		{"too large", map[string]string{"main.yaml": "slack: {token_file: tok}", "tok": strings.Repeat("x", maxSecretFile+1)}, "",
			`main.yaml:1:21: slack.token_file: cannot read "tok": it is larger than 65536 bytes`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := load(t, tc.files)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Slack.Token.Reveal(); got != tc.want {
				t.Fatalf("token = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDeviceIsNotASecretFile(t *testing.T) {
	cfg, err := Load([]byte(withSim("slack: {token_file: /dev/zero}")), "main.yaml")
	if err == nil || !strings.Contains(err.Error(), "it is not a regular file") {
		t.Fatalf("reading /dev/zero as a secret: cfg %v, err %v", cfg, err)
	}
}

func TestNullKeepsDefaultAndEmptyListReplacesIt(t *testing.T) {
	cfg, err := Load([]byte("oms: {mode: sim, timeout: ~}\nschedule: {default: ~, jitter: null}\nrules: {default_to: [], group_by: [type, step]}\n"), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	def := Default()
	if cfg.Schedule.Default != def.Schedule.Default || cfg.Schedule.Jitter != def.Schedule.Jitter || cfg.OMS.Timeout != def.OMS.Timeout {
		t.Errorf("null values must keep the defaults: %+v", cfg.Schedule)
	}
	if len(cfg.Rules.DefaultTo) != 0 || strings.Join(cfg.Rules.GroupBy, ",") != "type,step" {
		t.Errorf("a list in the file replaces the default list: %v %v", cfg.Rules.DefaultTo, cfg.Rules.GroupBy)
	}
}

func TestAnchorsAndExtensionKeys(t *testing.T) {
	doc := `
x-relay: &relay
  url: https://relay.example.com/
  timeout: 3s
webhook:
  targets:
    a: *relay
    b: *relay
`
	cfg, err := Load([]byte(withSim(doc)), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		if got := cfg.Webhook.Targets[name].Timeout.Duration(); got != 3*time.Second {
			t.Errorf("target %s timeout = %v, want 3s from the anchor", name, got)
		}
	}
}

// TestAliasBomb checks that a document whose aliases multiply (here 3,000
// routes that each alias a route of 3,000 type matchers: 9 million values
// from a 60 KB file) is refused quickly instead of expanded.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-route: &r\n  to: [log]\n  match:\n    types: [")
	for i := range 3000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("oms.*")
	}
	b.WriteString("]\nrules:\n  routes: [")
	for i := range 3000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("*r")
	}
	b.WriteString("]\n")
	start := time.Now()
	_, err := Load([]byte(b.String()), "bomb.yaml")
	if err == nil || !strings.Contains(err.Error(), "expands to more than 200000 values") {
		t.Fatalf("err = %.300v", err)
	}
	// Expanded, the document takes minutes; refused, well under a second
	// (a few under -race on a busy machine).
	if d := time.Since(start); d > time.Minute {
		t.Fatalf("refusing the alias bomb took %v", d)
	}
}

func TestIncludedRulesArePositionedInTheirFile(t *testing.T) {
	cfg, err := load(t, map[string]string{
		"main.yaml": "rules:\n  include: [rules/extra.yaml]\n  routes:\n    - to: [log]\n",
		"rules/extra.yaml": "routes:\n  - name: extra\n    to: [log]\n    when: 'event.Severity == \"critical\"'\n" +
			"conditions:\n  - name: c\n    expr: 'true'\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Rules.Routes[1]
	want := Position{File: filepath.Join("rules", "extra.yaml"), Line: 2, Column: 5}
	if r.Name != "extra" || r.Pos != want {
		t.Errorf("included route = %q at %v, want extra at %v", r.Name, r.Pos, want)
	}
	if w := r.When.Pos; w.File != want.File || w.Line != 4 || w.Column != 11 {
		t.Errorf("when at %v, want %s:4:11", w, want.File)
	}
	if c := cfg.Rules.Conditions[0]; c.Expr.Pos.Line != 7 || c.Expr.Pos.File != want.File {
		t.Errorf("included condition expr at %v", c.Expr.Pos)
	}
}

func TestIncludeErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"itself", map[string]string{"main.yaml": "rules: {include: [main.yaml]}"},
			`main.yaml:1:19: rules.include[0]: "main.yaml" is the configuration file itself; include each rule file once`},
		{"twice", map[string]string{"main.yaml": "rules: {include: [r.yaml, ./r.yaml]}", "r.yaml": "routes: []"},
			`main.yaml:1:27: rules.include[1]: "r.yaml" is already included as rules.include[0]; include each rule file once`},
		{"includes are not nested", map[string]string{"main.yaml": "rules: {include: [r.yaml]}", "r.yaml": "include: [x.yaml]"},
			`r.yaml:1:1: unknown key "include" in the top level; allowed: routes, conditions, inhibit`},
		{"an empty included file", map[string]string{"main.yaml": "rules: {include: [r.yaml]}", "r.yaml": ""},
			`r.yaml:1:1: the file is empty; see config/example.yaml for what it can hold`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.files)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err =\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
}

func TestErrorsAreSortedAndUnwrap(t *testing.T) {
	_, err := Load([]byte("log: {format: xml}\noms: {mode: x}\nlog2: 1\n"), "m.yaml")
	var list Errors
	if !errors.As(err, &list) || len(list) != 3 {
		t.Fatalf("err = %v, want 3 errors", err)
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].Pos.Line > list[i].Pos.Line {
			t.Errorf("errors out of order: %v before %v", list[i-1], list[i])
		}
	}
	var one *Error
	if !errors.As(err, &one) || one.Path != "log.format" || one.Pos.Line != 1 || one.Pos.Column != 15 {
		t.Errorf("errors.As(*Error) = %+v", one)
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("err = %v", err)
	}
}
