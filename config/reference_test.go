package config

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/secret"
)

// docs/CONFIG.md is the configuration reference operators read: one table
// row per key, `| `path` | type | default | meaning |`. It is written by
// hand (the meanings need more words than example.yaml's comments), so
// these tests hold it to the types: every key the loader accepts has a
// row, no row names a key that does not exist, and each row's type and
// default are what the types and Default() say.

const referenceFile = "../docs/CONFIG.md"

// refRow is what the types say a reference row must hold.
type refRow struct {
	path, typ, def string
}

// String is the row as it should start in docs/CONFIG.md, printed when a
// row is missing so that it can be pasted in.
func (r refRow) String() string {
	return fmt.Sprintf("| `%s` | %s | %s | |", r.path, r.typ, r.def)
}

// referenceRows walks the configuration types. Rows are the leaves, plus
// the lists and maps of structs (schedule.groups, nats.targets), whose
// items' keys follow as path[].key or path.<name>.key. Plain nested
// sections (oms.retries) get no row of their own: their keys have the full
// path.
func referenceRows() []refRow {
	var rows []refRow
	walkReference(reflect.TypeFor[Config](), reflect.ValueOf(Default()), "", &rows)
	return rows
}

// itemDefaults are the defaults of the items of named maps and lists,
// which Default cannot hold (their SetDefaults methods).
func itemDefaults(t reflect.Type) reflect.Value {
	v := reflect.New(t)
	if d, ok := v.Interface().(defaulter); ok {
		d.SetDefaults()
	}
	return v.Elem()
}

// mapKeyName is how the reference writes the key of a named map.
func mapKeyName(path string) string {
	if strings.HasSuffix(path, "rate_limits") {
		return "<target>"
	}
	return "<name>"
}

func walkReference(t reflect.Type, def reflect.Value, path string, rows *[]refRow) {
	for _, f := range fieldsOf(t) {
		ft := t.FieldByIndex(f.index).Type
		p := joinSchemaPath(path, f.name)
		fdef := def.FieldByIndex(f.index)
		switch {
		case ft.Kind() == reflect.Struct && refType(ft) == "":
			walkReference(ft, fdef, p, rows)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && refType(ft.Elem()) == "":
			*rows = append(*rows, refRow{p, "list", refDefault(fdef)})
			walkReference(ft.Elem(), itemDefaults(ft.Elem()), p+"[]", rows)
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Struct && refType(ft.Elem()) == "":
			*rows = append(*rows, refRow{p, "map", refDefault(fdef)})
			walkReference(ft.Elem(), itemDefaults(ft.Elem()), p+"."+mapKeyName(p), rows)
		default:
			*rows = append(*rows, refRow{p, typeName(ft), refDefault(fdef)})
		}
	}
}

// refType names the types that are written as one scalar; "" for the rest.
func refType(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[secret.String]():
		return "secret"
	case reflect.TypeFor[FilePath]():
		return "file"
	case reflect.TypeFor[Duration]():
		return "duration"
	case reflect.TypeFor[ByteSize]():
		return "size"
	case reflect.TypeFor[Rate]():
		return "rate"
	case reflect.TypeFor[Expr]():
		return "expression"
	case reflect.TypeFor[Template]():
		return "template"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Float64:
		return "number"
	}
	return ""
}

// typeName is the type column of a leaf: a scalar, a list of scalars or a
// map of name to scalar.
func typeName(t reflect.Type) string {
	if s := refType(t); s != "" {
		return s
	}
	plural := func(s string) string { return s + "s" }
	switch t.Kind() {
	case reflect.Slice:
		return "list of " + plural(typeName(t.Elem()))
	case reflect.Map:
		return "map of " + plural(typeName(t.Elem()))
	}
	panic("reference: no type name for " + t.String())
}

// refDefault is the default column: the value as the file would write it,
// in backticks; "—" for an empty text, list or map; false and 0 as such.
func refDefault(v reflect.Value) string {
	if !v.IsValid() {
		return "—"
	}
	if v.IsZero() {
		switch v.Kind() {
		case reflect.Bool:
			return "`false`"
		case reflect.Int, reflect.Int64, reflect.Float64:
			return "`0`"
		}
		return "—"
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return "`" + s.String() + "`" // Duration, ByteSize, Rate, FilePath
	}
	switch v.Kind() {
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return "`[" + strings.Join(items, ", ") + "]`"
	case reflect.Float64:
		return "`" + strconv.FormatFloat(v.Float(), 'g', -1, 64) + "`"
	case reflect.Struct:
		if e, ok := v.Interface().(Template); ok {
			return "`" + e.Text + "`"
		}
	}
	return "`" + fmt.Sprint(v.Interface()) + "`"
}

// docRow is a row of the reference as written.
type docRow struct {
	line              int
	typ, def, meaning string
}

var referenceRowPattern = regexp.MustCompile("^\\| `([^`]+)` \\| ([^|]+) \\| (.+?) \\| (.*) \\|$")

// readReference reads the key rows of docs/CONFIG.md.
func readReference(t *testing.T) map[string]docRow {
	t.Helper()
	b, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]docRow{}
	for i, line := range strings.Split(string(b), "\n") {
		m := referenceRowPattern.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if prev, dup := rows[m[1]]; dup {
			t.Errorf("docs/CONFIG.md:%d: %s is documented twice (also line %d)", i+1, m[1], prev.line)
		}
		rows[m[1]] = docRow{line: i + 1, typ: strings.TrimSpace(m[2]), def: strings.TrimSpace(m[3]), meaning: strings.TrimSpace(m[4])}
	}
	return rows
}

// TestConfigReferenceCoversEveryKey fails when a key is added to a section
// without a row in docs/CONFIG.md, when a row names a key that no longer
// exists, and when a row's type or default disagrees with the types.
func TestConfigReferenceCoversEveryKey(t *testing.T) {
	want := referenceRows()
	if len(want) < 140 {
		t.Fatalf("the walk found only %d keys; it is broken", len(want))
	}
	got := readReference(t)
	seen := map[string]bool{}
	for _, w := range want {
		seen[w.path] = true
		g, ok := got[w.path]
		if !ok {
			t.Errorf("docs/CONFIG.md has no row for %s; add (with its meaning):\n%s", w.path, w)
			continue
		}
		if g.typ != w.typ {
			t.Errorf("docs/CONFIG.md:%d: %s has type %q; the types say %q", g.line, w.path, g.typ, w.typ)
		}
		if g.def != w.def {
			t.Errorf("docs/CONFIG.md:%d: %s has default %s; Default() says %s", g.line, w.path, g.def, w.def)
		}
		if len(g.meaning) < 10 {
			t.Errorf("docs/CONFIG.md:%d: %s has no meaning (%q); say what it does", g.line, w.path, g.meaning)
		}
	}
	for path, g := range got {
		if !seen[path] {
			t.Errorf("docs/CONFIG.md:%d: %s is not a configuration key (renamed or removed?)", g.line, path)
		}
	}
}

// TestConfigReferenceRowsAreInFileOrder keeps the reference readable next to
// example.yaml: keys appear in the order the types declare them.
func TestConfigReferenceRowsAreInFileOrder(t *testing.T) {
	got := readReference(t)
	last := 0
	for _, w := range referenceRows() {
		g, ok := got[w.path]
		if !ok {
			continue // reported by TestConfigReferenceCoversEveryKey
		}
		if g.line < last {
			t.Errorf("docs/CONFIG.md:%d: %s comes before a key declared ahead of it; keep the types' order", g.line, w.path)
		}
		last = g.line
	}
}

// TestRuleFileKeysAreRulesKeys: the reference documents an included rule
// file's keys as the rules section's (routes, conditions, inhibit). That is
// only true while each of ruleFile's keys is a key of Rules of the same type.
func TestRuleFileKeysAreRulesKeys(t *testing.T) {
	rt, rf := reflect.TypeFor[Rules](), reflect.TypeFor[ruleFile]()
	rulesFields := map[string]reflect.Type{}
	for _, f := range fieldsOf(rt) {
		rulesFields[f.name] = rt.FieldByIndex(f.index).Type
	}
	var names []string
	for _, f := range fieldsOf(rf) {
		names = append(names, f.name)
		if typ, ok := rulesFields[f.name]; !ok || typ != rf.FieldByIndex(f.index).Type {
			t.Errorf("rule files have the key %s, which the rules section lacks or types differently; document it in docs/CONFIG.md", f.name)
		}
	}
	b, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatal(err)
	}
	var quoted []string
	for _, n := range names {
		quoted = append(quoted, "`"+n+"`")
	}
	slices.Sort(quoted)
	if s := "An included rule file holds " + strings.Join(quoted, ", "); !strings.Contains(string(b), s) {
		t.Errorf("docs/CONFIG.md should say %q (the keys of ruleFile, sorted)", s)
	}
}

// TestConfigReferenceNamesTheSchema: editors check a file against
// config/schema.json when its first line names it.
func TestConfigReferenceNamesTheSchema(t *testing.T) {
	b, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"# yaml-language-server: $schema=", "config/schema.json", "config/rules.schema.json"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("docs/CONFIG.md does not mention %q", s)
		}
	}
}
