package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
)

// maxSteps bounds the work one document may cause. A real configuration has
// a few thousand nodes; aliases can make a small file expand exponentially
// ("billion laughs"), and this stops that before it costs memory.
const maxSteps = 200_000

// decoder turns one file's YAML node tree into the typed configuration. It
// does the job yaml.v3's Decode would do, but strictly and with positions:
// unknown keys, duplicate keys, wrong types and unreadable secrets become
// located errors, every problem is collected instead of stopping at the
// first, and the position of every value is kept in the index for the
// semantic checks that run after decoding.
type decoder struct {
	file   string // the file's name in positions
	dir    string // base directory for relative file paths
	prefix string // index key prefix: "" for the main file, file+"#" for includes
	errs   *errorList
	idx    *index
	steps  int
}

func (d *decoder) pos(n *yaml.Node) Position {
	return Position{File: d.file, Line: n.Line, Column: n.Column}
}

// errorf reports a problem at a node and marks its path as failed, so the
// semantic checks do not report the same value a second time.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.idx.failed[d.prefix+path] = true
	d.errs.add(d.pos(n), path, format, args...)
}

// decode fills v from n. A null node (an empty value, ~ or null) leaves v as
// it is, so "key:" with nothing after it means "use the default".
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	d.steps++
	if d.steps > maxSteps {
		if d.steps == maxSteps+1 {
			d.errorf(n, path, "the document expands to more than %d values (through aliases?); simplify it", maxSteps)
		}
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if isNull(n) {
		return
	}
	d.idx.setValue(d.prefix+path, d.pos(n))
	switch target := v.Addr().Interface().(type) {
	case *secret.String:
		if s, ok := d.scalar(n, v.Type(), path, true); ok {
			*target = secret.New(s)
		}
		return
	case *setting.File:
		if s, ok := d.scalar(n, v.Type(), path, true); ok {
			d.filePath(n, target, path, s)
		}
		return
	case textValue:
		// Expressions and templates are taken literally: "$" means
		// something in both languages, so no ${VAR} expansion here.
		if s, ok := d.scalar(n, v.Type(), path, false); ok {
			target.setText(s, d.pos(n))
		}
		return
	case literalValue:
		if s, ok := d.scalar(n, v.Type(), path, false); ok {
			target.SetLiteral(s, d.pos(n).String())
		}
		return
	case encoding.TextUnmarshaler:
		if s, ok := d.scalar(n, v.Type(), path, true); ok {
			if err := target.UnmarshalText([]byte(s)); err != nil {
				d.errorf(n, path, "%v", err)
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	default:
		d.decodeBasic(n, v, path)
	}
}

// filePath resolves a path against the directory of the file that names it
// and checks that it can be read, so a wrong path is found by validate
// rather than at start-up. An empty path means "not set".
func (d *decoder) filePath(n *yaml.Node, out *setting.File, path, s string) {
	if s == "" {
		*out = ""
		return
	}
	resolved := resolvePath(d.dir, s)
	if err := checkReadable(resolved); err != nil {
		d.errorf(n, path, "cannot read %q: %v", s, err)
		// Kept all the same: checks across fields count it as given, so
		// one mistake is reported once (the load fails anyway).
		*out = setting.File(resolved)
		return
	}
	d.idx.addFile(resolved)
	*out = setting.File(resolved)
}

// decodeBasic fills a string, bool, integer or float.
func (d *decoder) decodeBasic(n *yaml.Node, v reflect.Value, path string) {
	s, ok := d.scalar(n, v.Type(), path, true)
	if !ok {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		// Only true and false, as YAML 1.2 says: "yes", "on" and 1 are
		// the kind of value that means something else in another tool.
		if s != "true" && s != "false" {
			d.errorf(n, path, "%q is not a boolean; want true or false", s)
			return
		}
		v.SetBool(s == "true")
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			d.errorf(n, path, "%q is not a whole number", s)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			d.errorf(n, path, "%q is not a number", s)
			return
		}
		v.SetFloat(f)
	default:
		// Only reachable if a field of a new type is added without
		// teaching the decoder; example.yaml sets every key and a test
		// loads it, so that test fails first.
		d.errorf(n, path, "internal error: no decoder for %s", v.Type())
	}
}

// scalar returns the text of a scalar node, ${VAR}-expanded when expand is
// set, or reports that a scalar was wanted.
func (d *decoder) scalar(n *yaml.Node, t reflect.Type, path string, expand bool) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "want %s, got %s", want(t), describe(n))
		return "", false
	}
	if !expand {
		return n.Value, true
	}
	s, problems := expandEnv(n.Value)
	for _, p := range problems {
		pos := d.pos(n)
		if n.Style == 0 && !strings.Contains(n.Value, "\n") {
			pos.Column += p.offset // plain scalars: point at the ${ itself
		}
		d.idx.failed[d.prefix+path] = true
		d.errs.add(pos, path, "%s", p.msg)
	}
	return s, len(problems) == 0
}

// decodeSlice replaces v with the list in n: a list given in the file
// replaces the default list rather than adding to it.
func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "want %s, got %s", want(v.Type()), describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, item := range n.Content {
		elem := newElem(v.Type().Elem())
		child := fmt.Sprintf("%s[%d]", path, i)
		d.idx.setParent(d.prefix+child, d.prefix+path)
		d.decode(item, elem, child)
		out = reflect.Append(out, elem)
	}
	v.Set(out)
}

// decodeMap fills a map keyed by name (targets, labels, headers). Each new
// entry starts from its type's defaults.
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want %s, got %s", want(v.Type()), describe(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name, ok := d.key(k, path, seen)
		if !ok {
			continue
		}
		child := joinPath(path, name)
		d.idx.setKey(d.prefix+child, d.pos(k))
		d.idx.setParent(d.prefix+child, d.prefix+path)
		elem := newElem(v.Type().Elem())
		d.decode(val, elem, child)
		v.SetMapIndex(reflect.ValueOf(name), elem)
	}
}

// key checks a mapping key: a string, not a merge key, not a repeat.
func (d *decoder) key(k *yaml.Node, path string, seen map[string]*yaml.Node) (string, bool) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		d.errorf(k, path, "a key must be a plain string, got %s", describe(k))
		return "", false
	}
	if k.ShortTag() == "!!merge" {
		d.errorf(k, path, "merge keys (<<) are not supported; repeat the keys or use an alias for the whole value")
		return "", false
	}
	if first, dup := seen[k.Value]; dup {
		d.errorf(k, path, "duplicate key %q (first at line %d)", k.Value, first.Line)
		return "", false
	}
	seen[k.Value] = k
	return k.Value, true
}

// newElem makes a new list item or map value, with its type's defaults when
// it has any (see defaults.go).
func newElem(t reflect.Type) reflect.Value {
	elem := reflect.New(t).Elem()
	if def, ok := elem.Addr().Interface().(defaulter); ok {
		def.SetDefaults()
	}
	return elem
}

// defaulter is implemented by list items and map values that have defaults
// of their own (a NATS target's subject, a webhook's timeout).
type defaulter interface{ SetDefaults() }

// literalValue is implemented by the components' templates
// (setting.Template), which are taken literally and keep where they were
// written.
type literalValue interface{ SetLiteral(text, where string) }

// textValue is implemented by rule expressions, which keep their text
// literally and where it was written.
type textValue interface{ setText(string, Position) }

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node holds, for "want X, got Y" messages. It never
// prints the value: it could be a secret put in the wrong place.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "nothing"
		}
		return "a string"
	}
	return "something else"
}

// joinPath appends a key to a YAML path, quoting keys that would make the
// path ambiguous (a target named "a.b").
func joinPath(path, key string) string { return setting.Key(path, key) }
