package config

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/secret"
)

// The JSON Schemas of the configuration file (schema.json) and of an
// included rule file (rules.schema.json), for editors (yaml-language-server)
// and CI. They are generated from the types of this package: keys from the
// yaml tags (with the _file form of every secret), defaults from Default()
// and the item defaults, enums from the OMS vocabularies in catalog.go,
// descriptions from the comments of example.yaml. The schema says what a
// key may hold, not how keys depend on each other (oms.mode's keys,
// references to targets): `omswatch validate` checks those. It accepts
// everything the loader accepts: a scalar is read as its text, so quoted
// numbers and ${VAR} references are allowed wherever a number is, and a key
// with no value (null) keeps its default.
//
// Regenerate with `go generate ./config` after changing a section;
// TestSchemaIsUpToDate fails until then.

// schemaFiles are the generated schemas: root type, the example whose
// comments describe its keys (and the path prefix of those keys there).
var schemaFiles = []struct {
	file, title, example, docPrefix string
	root                            reflect.Type
}{
	{"schema.json", "omswatch configuration", "example.yaml", "", reflect.TypeFor[Config]()},
	{"rules.schema.json", "omswatch rule file (rules.include)", "example.yaml", "rules.", reflect.TypeFor[ruleFile]()},
}

// schemaEnums are the values enum-like fields allow, by struct type and
// yaml key; for a list, its items'. The validate methods check the same
// lists.
func schemaEnums() map[reflect.Type]map[string][]string {
	sev := severities()
	return map[reflect.Type]map[string][]string{
		reflect.TypeFor[omsapi.Config](): {"mode": {omsapi.ModeCloud, omsapi.ModeOnPrem, omsapi.ModeSim},
			"credentials": {omsapi.CredentialsDefaultChain, omsapi.CredentialsStatic}, "signature": {omsapi.SignatureV3, omsapi.SignatureV1}},
		reflect.TypeFor[Discovery](): {"mode": {DiscoveryTwoTier, DiscoveryDescribeAlways}, "announce": {AnnounceEach, AnnounceSummary, AnnounceNone}},
		reflect.TypeFor[List](): {"types": projectTypes(true), "statuses": projectStatuses(),
			"source_endpoint_types": endpointTypes(), "sink_endpoint_types": endpointTypes()},
		reflect.TypeFor[GroupMatch](): {"importance": importances()},
		reflect.TypeFor[rules.Match](): {"importance": importances(), "severity_at_least": sev, "severity": sev,
			"phases": phases()},
		reflect.TypeFor[Route]():     {"severity": sev},
		reflect.TypeFor[Condition](): {"severity": sev},
		reflect.TypeFor[Rules]():     {"group_by": groupByKeys()},
		reflect.TypeFor[Log]():       {"level": {"debug", "info", "warn", "error"}, "format": {"text", "json"}},
	}
}

// obj is a JSON object that keeps its keys in order, so the generated file
// reads like the configuration and diffs stay small.
type obj []member

type member struct {
	k string
	v any
}

// MarshalJSON writes the members in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.k)
		v, err := json.Marshal(m.v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.k, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func ref(name string) obj { return obj{{"$ref", "#/$defs/" + name}} }

// schemaDefs are the scalar kinds every property refers to.
func schemaDefs() obj {
	env := ref("env")
	orEnv := func(desc string, alts ...any) obj {
		return obj{{"description", desc}, {"anyOf", append(alts, env, obj{{"type", "null"}})}}
	}
	return obj{
		{"env", obj{{"description", "An environment variable reference, ${VAR} or ${VAR:-default}, replaced when the file is loaded."},
			{"type", "string"}, {"pattern", `\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}`}}},
		{"string", obj{{"description", "Text; any scalar is read as its text."},
			{"type", []string{"string", "number", "boolean", "null"}}}},
		{"boolean", orEnv("true or false.", obj{{"type", "boolean"}}, obj{{"enum", []string{"true", "false"}}})},
		{"integer", orEnv("A whole number.", obj{{"type", "integer"}}, obj{{"type", "string"}, {"pattern", `^-?[0-9]+$`}})},
		{"number", orEnv("A number.", obj{{"type", "number"}}, obj{{"type", "string"}, {"pattern", `^-?[0-9]+(\.[0-9]+)?$`}})},
		{"duration", orEnv("A duration: a number and a unit (ns, us, ms, s, m, h, d for days, w for weeks), e.g. 30s, 1h30m, 90d; or 0.",
			obj{{"type", "string"}, {"pattern", `^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h|d|w))+)$`}}, obj{{"const", 0}})},
		{"size", orEnv("A size in bytes, optionally with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. 64MiB.",
			obj{{"type", "string"}, {"pattern", `^[0-9]+(\.[0-9]+)?\s*([KMGT]i?B|B)?$`}}, obj{{"type", "integer"}, {"minimum", 0}})},
		{"rate", orEnv("A rate: a number per s, m or h, e.g. 1/s or 30/m; a bare number is per second.",
			obj{{"type", "string"}, {"pattern", `^\s*[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?\s*(/\s*[smh]\s*)?$`}}, obj{{"type", "number"}, {"exclusiveMinimum", 0}})},
		{"expr", obj{{"description", "An expr-lang expression (https://expr-lang.org), taken literally (no ${VAR})."},
			{"type", []string{"string", "null"}}}},
		{"template", obj{{"description", "A Go text/template, taken literally (no ${VAR})."},
			{"type", []string{"string", "null"}}}},
	}
}

// schemaGen walks the configuration types.
type schemaGen struct {
	docs  map[string]string // YAML path (list items as [], map values as *) -> description
	enums map[reflect.Type]map[string][]string
}

// generateSchemas returns each schema file's content.
func generateSchemas() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, f := range schemaFiles {
		docs, err := exampleDocs(f.example, f.docPrefix)
		if err != nil {
			return nil, err
		}
		g := &schemaGen{docs: docs, enums: schemaEnums()}
		def := reflect.Zero(f.root)
		if f.root == reflect.TypeFor[Config]() {
			def = reflect.ValueOf(Default())
		}
		doc := obj{
			{"$schema", "https://json-schema.org/draft/2020-12/schema"},
			{"$comment", "Generated from the types of package config by `go generate ./config`; do not edit."},
			{"title", f.title},
		}
		doc = append(doc, g.object(f.root, "", def)...)
		// Top-level x- keys are ignored: a place for YAML anchors.
		doc = append(doc, member{"patternProperties", obj{{"^x-", obj{}}}}, member{"$defs", schemaDefs()})
		for i, m := range doc {
			if m.k == "type" {
				doc[i].v = "object" // an empty file is an error, unlike an empty section
			}
		}
		if f.root == reflect.TypeFor[Config]() {
			// A file says which OMS it watches: no oms section is an error.
			doc = append(doc, member{"required", []string{"oms"}})
		}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.file, err)
		}
		out[f.file] = append(b, '\n')
	}
	return out, nil
}

// object is the schema of a section: its keys, nothing else.
func (g *schemaGen) object(t reflect.Type, path string, def reflect.Value) obj {
	props := obj{}
	for _, f := range fieldsOf(t) {
		p := joinSchemaPath(path, f.name)
		var fdef reflect.Value
		if def.IsValid() {
			fdef = def.FieldByIndex(f.index)
		}
		props = append(props, member{f.name, g.property(t, f, p, fdef)})
		if f.secret {
			props = append(props, member{f.name + fileSuffix, g.described(ref("string"), p+fileSuffix,
				"A file holding "+f.name+" (trailing newline trimmed), relative to this file's directory; instead of "+f.name+".")})
		}
	}
	return obj{{"type", []string{"object", "null"}}, {"properties", props}, {"additionalProperties", false}}
}

// property is the schema of one key, with its description and default.
func (g *schemaGen) property(parent reflect.Type, f field, path string, def reflect.Value) obj {
	ft := parent.FieldByIndex(f.index).Type
	var s obj
	if values, ok := g.enums[parent][f.name]; ok {
		enum := obj{{"anyOf", []any{obj{{"enum", values}}, ref("env")}}}
		if ft.Kind() == reflect.Slice {
			s = obj{{"type", []string{"array", "null"}}, {"items", enum}}
		} else {
			s = obj{{"anyOf", []any{obj{{"enum", values}}, ref("env"), obj{{"type", "null"}}}}}
		}
	} else {
		s = g.value(ft, path, def)
	}
	s = g.described(s, path, "")
	if v, ok := defaultValue(def); ok {
		s = append(s, member{"default", v})
	}
	return s
}

// value is the schema of a value of type t.
func (g *schemaGen) value(t reflect.Type, path string, def reflect.Value) obj {
	switch t {
	case reflect.TypeFor[secret.String](), reflect.TypeFor[FilePath]():
		return ref("string")
	case reflect.TypeFor[Duration]():
		return ref("duration")
	case reflect.TypeFor[ByteSize]():
		return ref("size")
	case reflect.TypeFor[Rate]():
		return ref("rate")
	case reflect.TypeFor[Expr]():
		return ref("expr")
	case reflect.TypeFor[Template]():
		return ref("template")
	}
	switch t.Kind() {
	case reflect.Struct:
		return g.object(t, path, def)
	case reflect.Slice:
		return obj{{"type", []string{"array", "null"}}, {"items", g.value(t.Elem(), path+"[]", newElem(t.Elem()))}}
	case reflect.Map:
		return obj{{"type", []string{"object", "null"}}, {"additionalProperties", g.value(t.Elem(), path+".*", newElem(t.Elem()))}}
	case reflect.Bool:
		return ref("boolean")
	case reflect.Int, reflect.Int32, reflect.Int64:
		return ref("integer")
	case reflect.Float64:
		return ref("number")
	}
	return ref("string")
}

// described adds the example's comment on path, else fallback.
func (g *schemaGen) described(s obj, path, fallback string) obj {
	if d := g.docs[path]; d != "" {
		return append(obj{{"description", d}}, s...)
	}
	if fallback != "" {
		return append(obj{{"description", fallback}}, s...)
	}
	return s
}

// defaultValue is a default as the file would write it; zero values are
// left out, as example.yaml leaves them out of its "default:" notes.
func defaultValue(v reflect.Value) (any, bool) {
	if !v.IsValid() || v.IsZero() {
		return nil, false
	}
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		b, err := m.MarshalText()
		return string(b), err == nil
	}
	switch v.Kind() {
	case reflect.Struct, reflect.Map:
		return nil, false // a section's defaults are on its keys
	}
	return v.Interface(), true
}

func joinSchemaPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// exampleDocs reads the comments of an example configuration: the comment
// on each key's line, the comment above each top-level section, and the
// keys shown commented out ("# url: ...  # what it is"). Keys are YAML
// paths with list items as [] and map values as *; prefix is cut from
// them (a rule file's keys are the main file's rules.*).
func exampleDocs(file, prefix string) (map[string]string, error) {
	b, err := readFile(file, maxConfigFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	docs := map[string]string{}
	collectDocs(doc.Content[0], "", docs)
	out := map[string]string{}
	for k, v := range docs {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out, nil
}

// mapOfTargets are the mappings whose keys are names, not keys of a type.
var mapOfTargets = regexp.MustCompile(`^(nats|slack|webhook)\.targets$|\.headers$|\.template$|\.labels$|^rules\.rate_limits$`)

func collectDocs(n *yaml.Node, path string, docs map[string]string) {
	switch n.Kind {
	case yaml.SequenceNode:
		for _, item := range n.Content {
			collectDocs(item, path+"[]", docs)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinSchemaPath(path, k.Value)
			if mapOfTargets.MatchString(path) {
				p = path + ".*"
			}
			if d := commentText(v.LineComment + k.LineComment); d != "" && docs[p] == "" {
				docs[p] = d
			}
			if path == "" && docs[p] == "" {
				docs[p] = commentText(k.HeadComment)
			}
			commentedKeys(k.HeadComment, path, docs)
			collectDocs(v, p, docs)
		}
	}
}

// commentedKey is a key shown commented out, with its own comment.
var commentedKey = regexp.MustCompile(`^#( +)([a-z_]+):[^#]*(#\s*(.*))?$`)

// commentedKeys documents the keys a comment block shows commented out
// under path, one level of nesting deep (a commented tls: and its keys).
func commentedKeys(block, path string, docs map[string]string) {
	base, parent := -1, ""
	for _, line := range strings.Split(block, "\n") {
		m := commentedKey.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		indent, key, desc := len(m[1]), m[2], strings.TrimSpace(m[4])
		if base < 0 || indent <= base {
			base, parent = indent, key
			key = joinSchemaPath(path, key)
		} else {
			key = joinSchemaPath(joinSchemaPath(path, parent), key)
		}
		if desc != "" && docs[key] == "" {
			docs[key] = desc
		}
	}
}

// commentText turns "# a\n# b" into "a b".
func commentText(c string) string {
	var parts []string
	for _, line := range strings.Split(c, "\n") {
		if t := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "#")); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}
