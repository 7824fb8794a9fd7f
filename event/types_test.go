package event

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
)

// Every type of the catalog is fully described: a default severity among
// the ones it can have, its data fields, the facts matchers read (fields it
// carries), a summary and a Slack template that parses. A type added with
// a gap fails here, not in a sink at 3 a.m.
func TestEveryTypeIsFullyDescribed(t *testing.T) {
	// The Slack sink's functions, as stubs: the catalog only says which
	// it uses.
	stubs := template.FuncMap{"icon": func(string) string { return "" }, "join": func(any) string { return "" },
		"when": func(any, any) string { return "" }, "since": func(any, any) string { return "" },
		"dur": func(any) string { return "" }, "human": func(any, any) string { return "" },
		"alarmRules": func(any) string { return "" }, "recentAlarms": func(any) string { return "" }}
	name := regexp.MustCompile(`^oms\.[a-z]+\.[a-z_]+$`)
	for _, typ := range Types() {
		t.Run(typ, func(t *testing.T) {
			s, ok := Describe(typ)
			if !ok {
				t.Fatal("Describe does not know it")
			}
			if !name.MatchString(s.Type) {
				t.Errorf("type %q is not oms.<area>.<what>", s.Type)
			}
			if s.Severity.Rank() == 0 {
				t.Errorf("default severity %q", s.Severity)
			}
			if !slices.Contains(s.Severities, s.Severity) {
				t.Errorf("default severity %s is not among %v", s.Severity, s.Severities)
			}
			for _, sev := range s.Severities {
				if sev.Rank() == 0 {
					t.Errorf("severity %q", sev)
				}
			}
			if len(s.Fields) == 0 {
				t.Error("no data fields")
			}
			for _, f := range append(slices.Clone(s.Fields), s.Optional...) {
				if f == dataKeyProject || f == dataKeyChanges || f == "" {
					t.Errorf("field %q", f)
				}
			}
			for what, f := range map[string]string{"step": s.Facts.Step, "phase": s.Facts.Phase, "rule": s.Facts.Rule} {
				if f != "" && !slices.Contains(s.Fields, f) {
					t.Errorf("facts read %s from %q, which the type does not carry", what, f)
				}
			}
			if s.Facts.Phase != "" && s.Facts.Step == "" {
				t.Error("a phase without a step")
			}
			if s.What == nil {
				t.Fatal("no summary")
			}
			if s.What(Data{}) == "" {
				t.Error("empty summary for empty data")
			}
			if strings.TrimSpace(s.Slack) == "" {
				t.Fatal("no Slack template")
			}
			if _, err := template.New(typ).Funcs(stubs).Parse(s.Slack); err != nil {
				t.Errorf("Slack template: %v", err)
			}
		})
	}
}

// The table has one row per Type constant and nothing else, so Types()
// (read from the table) and the constants producers use agree.
func TestCatalogRowsAreTheTypeConstants(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "types.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, id := range vs.Names {
				if i >= len(vs.Values) || !strings.HasPrefix(id.Name, "Type") {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
					v, _ := strconv.Unquote(lit.Value)
					consts = append(consts, v)
				}
			}
		}
		return true
	})
	types := Types()
	if len(consts) < 17 {
		t.Fatalf("found %d Type constants in types.go; the parse is broken", len(consts))
	}
	for _, c := range consts {
		if !slices.Contains(types, c) {
			t.Errorf("constant %s has no row in the catalog", c)
		}
	}
	seen := map[string]bool{}
	for _, typ := range types {
		if seen[typ] {
			t.Errorf("%s has two rows", typ)
		}
		seen[typ] = true
		if !slices.Contains(consts, typ) {
			t.Errorf("row %s has no Type constant", typ)
		}
	}
	if _, ok := Describe("oms.nothing.here"); ok || IsKnownType("oms.nothing.here") || DefaultSeverity("oms.nothing.here") != "" {
		t.Error("an unknown type is described")
	}
}

// Describe hands out copies: changing them does not change the catalog.
func TestDescribeCopies(t *testing.T) {
	s, _ := Describe(TypeStepStatusChanged)
	s.Fields[0], s.Severities[0] = "changed", Critical
	again, _ := Describe(TypeStepStatusChanged)
	if again.Fields[0] != "step" || again.Severities[0] != Info {
		t.Fatalf("the catalog changed: %+v", again)
	}
}

// The default Slack messages of v2's new data print it: the problems of a
// first sight one a line, the codes of an error_changed as lists.
func TestSlackTemplatesPrintV2Fields(t *testing.T) {
	funcs := template.FuncMap{"icon": func(s string) string { return ":" + s + ":" },
		"join": func(v any) string { return valueText(v) }}
	who := map[string]any{"Name": "orders", "ID": "np_1"}
	const at = "*orders* `np_1` (cn-hangzhou)"
	for _, tc := range []struct {
		name, typ, sev string
		data           map[string]any
		want           string
	}{
		{"discovered quiet", TypeProjectDiscovered, "info", map[string]any{"status": "RUNNING", "problems": []any{}},
			":new: " + at + " is watched now, status *RUNNING*"},
		{"discovered with problems", TypeProjectDiscovered, "critical", map[string]any{"status": "FAILED", "problems": []any{
			map[string]any{"kind": "step_failed", "step": "FULL_TRANSFER", "text": "step FULL_TRANSFER FAILED"},
			map[string]any{"kind": "worker_expired", "text": "worker g_1 expired"}}},
			":critical: " + at + " is watched now, status *FAILED*\n• step FULL_TRANSFER FAILED\n• worker g_1 expired"},
		{"error changed", TypeStepErrorChanged, "info",
			map[string]any{"step": "FULL_TRANSFER", "cleared": []any{"A"}, "changed": []any{}},
			":pencil: " + at + " step *FULL_TRANSFER* errors changed, cleared A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := Describe(tc.typ)
			tmpl, err := template.New(tc.typ).Funcs(funcs).Option("missingkey=zero").Parse(s.Slack)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := tmpl.Execute(&b, map[string]any{"Project": who, "Severity": tc.sev, "Data": tc.data, "Where": "cn-hangzhou"}); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("\n got  %q\n want %q", b.String(), tc.want)
			}
		})
	}
}
