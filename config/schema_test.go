package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// TestSchemaIsUpToDate keeps schema.json and rules.schema.json in step
// with the types; -update (or go generate ./config) rewrites them.
func TestSchemaIsUpToDate(t *testing.T) {
	got, err := generateSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range schemaFiles {
		if *update {
			if err := os.WriteFile(f.file, got[f.file], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(f.file)
		if err != nil || !bytes.Equal(got[f.file], want) {
			t.Errorf("config/%s is out of date with the config types (or example.yaml's comments); regenerate it with\n\tgo generate ./config\n(or go test ./config -run TestSchemaIsUpToDate -update) and commit it", f.file)
		}
	}
}

// compileSchema compiles a generated schema file with a validator that
// knows draft 2020-12, as editors would read it.
func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(file)
	if err != nil {
		t.Fatalf("compile %s: %v", file, err)
	}
	return s
}

// yamlInstance turns a YAML document into the JSON value the schema sees.
func yamlInstance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestShippedConfigsMatchTheSchema(t *testing.T) {
	cases := []struct{ schema, glob string }{
		{"schema.json", "example.yaml"},
		{"schema.json", "../testdata/config/valid/*.yaml"},
		{"rules.schema.json", "example-rules.yaml"},
	}
	for _, tc := range cases {
		s := compileSchema(t, tc.schema)
		files, err := filepath.Glob(tc.glob)
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: %v (%d files)", tc.glob, err, len(files))
		}
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Validate(yamlInstance(t, data)); err != nil {
					t.Errorf("%s does not match %s:\n%v", f, tc.schema, err)
				}
			})
		}
	}
}

func TestExamplesNameTheirSchema(t *testing.T) {
	for file, schema := range map[string]string{"example.yaml": "schema.json", "example-rules.yaml": "rules.schema.json"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(string(b), "\n"); first != "# yaml-language-server: $schema="+schema {
			t.Errorf("%s starts %q; want the yaml-language-server modeline naming %s", file, first, schema)
		}
	}
}

// TestSchemaJudgesLikeTheLoader checks that the schema accepts what the
// loader accepts and rejects the mistakes editors should underline.
func TestSchemaJudgesLikeTheLoader(t *testing.T) {
	s := compileSchema(t, "schema.json")
	cases := []struct {
		name, doc string
		valid     bool
	}{
		{"an env reference in a number", "nats: {embedded: {port: '${OMSWATCH_T_PORT:-4222}'}}", true},
		{"a quoted number and boolean", "nats: {embedded: {port: '4223', allow_non_loopback: 'false'}}", true},
		{"an empty section keeps its defaults", "discovery:\nschedule: {jitter: }", true},
		{"durations in days, sizes, rates", "store: {retention: {max_age: 2w, max_bytes: 10GiB}}\nslack: {rate_limit: 30/m}", true},
		{"an x- anchor key", "x-common: &c {a: 1}\nlog: {level: info}", true},
		{"secret file forms", "oms: {mode: onprem, url: 'http://oms:8089', username: u, password_file: PWFILE}\ndiscovery: {projects: [np_1]}", true},
		{"named targets", "webhook: {targets: {relay: {url: 'http://x', headers: {X-A: b}}}}", true},
		{"an unknown top-level key", "nat: {url: 'nats://x:4222'}", false},
		{"an unknown nested key", "oms: {regin: cn-hangzhou}", false},
		{"an unknown key in a target", "nats: {targets: {a: {subjet: x}}}", false},
		{"a value outside an enum", "log: {level: verbose}", false},
		{"an enum list item", "discovery: {list: {statuses: [RUNING]}}", false},
		{"a duration without a unit", "oms: {timeout: 10}", false},
		{"a list for a section", "store: [a, b]", false},
		{"a mapping for a number", "oms: {qps: {n: 1}}", false},
	}
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t, "OMSWATCH_T_PORT")
			doc := []byte(withSim(strings.ReplaceAll(tc.doc, "PWFILE", pw)))
			err := s.Validate(yamlInstance(t, doc))
			if (err == nil) != tc.valid {
				t.Errorf("schema: valid=%v, want %v: %v", err == nil, tc.valid, err)
			}
			if _, lerr := Load(doc, "t.yaml"); (lerr == nil) != tc.valid {
				t.Errorf("the loader disagrees: %v", lerr)
			}
		})
	}
}
