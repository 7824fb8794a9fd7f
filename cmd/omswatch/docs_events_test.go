package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/event"
)

// TestEventCatalogDocumentsEveryType: docs/EVENTS.md has a row for every
// event type the differ, the poller and the rules engine emit (found in
// their source, so a new constant or literal is caught), and for nothing
// that is not a type of the catalog.
func TestEventCatalogDocumentsEveryType(t *testing.T) {
	consts := eventTypeConsts(t)
	emitted := map[string]string{} // type -> where
	for _, dir := range []string{"differ", "poller", "rules", "sinks", "incident"} {
		for typ, where := range typesUsedIn(t, filepath.Join("../..", dir), consts) {
			emitted[typ] = where
		}
	}
	for _, typ := range []string{event.TypeProjectDiscovered, event.TypePollFailing, event.TypeConditionFiring} {
		if emitted[typ] == "" {
			t.Fatalf("the source walk did not find %s; it is broken", typ)
		}
	}
	documented := documentedTypes(t)
	for typ, where := range emitted {
		if !documented[typ] {
			t.Errorf("%s emits %s, which docs/EVENTS.md does not document", where, typ)
		}
	}
	for _, typ := range event.Types() {
		if !documented[typ] {
			t.Errorf("docs/EVENTS.md does not document %s (event.Types)", typ)
		}
	}
	for typ := range documented {
		if !event.IsKnownType(typ) {
			t.Errorf("docs/EVENTS.md documents %s, which is not a type of the catalog (event.Types)", typ)
		}
	}
}

// eventTypeConsts reads the Type* constants of package event.
func eventTypeConsts(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../event/types.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if i < len(vs.Values) && strings.HasPrefix(name.Name, "Type") {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
					out[name.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
		return true
	})
	if len(out) != len(event.Types()) {
		t.Fatalf("found %d Type constants in event/types.go; event.Types() has %d", len(out), len(event.Types()))
	}
	return out
}

var eventTypeLiteral = regexp.MustCompile(`^oms\.[a-z_]+\.[a-z_]+$`)

// typesUsedIn finds the event types the non-test Go files under dir use:
// event.TypeX selectors and "oms.x.y" string literals.
func typesUsedIn(t *testing.T, dir string, consts map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "event" && strings.HasPrefix(n.Sel.Name, "Type") {
					if v, ok := consts[n.Sel.Name]; ok {
						out[v] = fset.Position(n.Pos()).String()
					}
				}
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING && eventTypeLiteral.MatchString(s) {
					out[s] = fset.Position(n.Pos()).String()
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// documentedTypes reads the types table of docs/EVENTS.md: rows whose first
// cell names one or more types in backticks.
func documentedTypes(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../../docs/EVENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	quoted := regexp.MustCompile("`(oms\\.[a-z_]+\\.[a-z_]+)`")
	out := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `oms.") {
			continue
		}
		cells := strings.Split(line, "|")
		for _, m := range quoted.FindAllStringSubmatch(cells[1], -1) {
			out[m[1]] = true
		}
	}
	return out
}

// TestEventCatalogSeverities: the severity column of docs/EVENTS.md agrees
// with what the differ gives events of a fixed severity.
func TestEventCatalogSeverities(t *testing.T) {
	b, err := os.ReadFile("../../docs/EVENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if cells := strings.Split(line, "|"); len(cells) > 4 && strings.HasPrefix(line, "| `oms.") {
			rows[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[len(cells)-2])
		}
	}
	cases := []struct{ typ, sev string }{
		{event.TypeProjectDiscovered, "critical if FAILED or a step FAILED; warning if SUSPEND or `problems` is not empty; else info"},
		{event.TypeStepErrorChanged, "info"},
		{event.TypeProjectRemoved, "warning"},
		{event.TypeStepErrorRaised, "critical"},
		{event.TypeAlarmTriggered, "warning"},
		{event.TypeWorkerExpired, "warning"},
		{event.TypeConfigChanged, "info"},
	}
	for _, tc := range cases {
		if got := rows[tc.typ]; got != tc.sev {
			t.Errorf("docs/EVENTS.md gives %s severity %q; want %q", tc.typ, got, tc.sev)
		}
	}
}

// The cookbook. Each recipe is a ```yaml block whose first line is
// "# recipe: NAME"; "# cookbook: targets" is the targets they share.

// cookbookEnv is what the targets block reads from the environment.
