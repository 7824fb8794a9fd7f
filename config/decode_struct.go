package config

import (
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/omswatch/omswatch/internal/suggest"
	"github.com/omswatch/omswatch/secret"
)

// unreadableSecret stands for a secret the file gives but that could not
// be read or decoded.
const unreadableSecret = "\x00(unreadable)"

// fileSuffix turns a secret's key into the key of its file variant:
// access_key_secret -> access_key_secret_file.
const fileSuffix = "_file"

// extensionPrefix starts top-level keys omswatch ignores, so a file can
// hold values to reuse through YAML anchors (x-defaults: &defaults ...).
const extensionPrefix = "x-"

// field is one key a section accepts.
type field struct {
	name   string
	index  []int // for reflect's FieldByIndex
	secret bool  // a secret.String: also accepts name+"_file"
}

// fieldsOf lists the keys of a section struct in declaration order, which is
// also the order "allowed: ..." messages print them in. The keys of a field
// tagged `yaml:",inline"` (a component's own configuration, composed into
// a section) are the section's own.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" && opts == "inline" && f.Type.Kind() == reflect.Struct {
			for _, in := range fieldsOf(f.Type) {
				in.index = append([]int{i}, in.index...)
				out = append(out, in)
			}
			continue
		}
		if name == "" {
			continue
		}
		out = append(out, field{name: name, index: []int{i}, secret: f.Type == reflect.TypeFor[secret.String]()})
	}
	return out
}

// allowedKeys is the list printed after an unknown key.
func allowedKeys(fields []field) []string {
	var out []string
	for _, f := range fields {
		out = append(out, f.name)
		if f.secret {
			out = append(out, f.name+fileSuffix)
		}
	}
	return out
}

// secretKeys holds the nodes of a secret's two forms as they are met.
type secretKeys struct {
	inlineKey, inline, fileKey, file *yaml.Node
}

// decodeStruct fills a section from a mapping, checking every key against
// the section's fields. Secrets are decoded after the loop so that "value
// and value_file both set" is found whatever order they were written in.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want %s, got %s", want(v.Type()), describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	byName := map[string]field{}
	for _, f := range fields {
		byName[f.name] = f
		if f.secret {
			byName[f.name+fileSuffix] = f
		}
	}
	seen := map[string]*yaml.Node{}
	secrets := map[string]*secretKeys{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name, ok := d.key(k, path, seen)
		if !ok {
			continue
		}
		f, known := byName[name]
		if !known && path == "" && strings.HasPrefix(name, extensionPrefix) {
			continue // a place for anchors, as in docker compose files
		}
		if !known {
			d.unknownKey(k, path, name, allowedKeys(fields))
			continue
		}
		child := joinPath(path, name)
		d.idx.setKey(d.prefix+child, d.pos(k))
		d.idx.setParent(d.prefix+child, d.prefix+path)
		if !f.secret {
			d.decode(val, v.FieldByIndex(f.index), child)
			continue
		}
		sk := secrets[f.name]
		if sk == nil {
			sk = &secretKeys{}
			secrets[f.name] = sk
		}
		if name == f.name {
			sk.inlineKey, sk.inline = k, val
		} else {
			sk.fileKey, sk.file = k, val
		}
	}
	for _, f := range fields {
		if sk := secrets[f.name]; sk != nil {
			p := joinPath(path, f.name)
			out := v.FieldByIndex(f.index).Addr().Interface().(*secret.String)
			d.decodeSecret(sk, out, p)
			if out.IsZero() && (d.idx.failed[d.prefix+p] || d.idx.failed[d.prefix+p+fileSuffix]) {
				// Given, but wrong (reported): the components' checks
				// count it as given, so one mistake is reported once. The
				// load fails, so the placeholder goes nowhere.
				*out = secret.New(unreadableSecret)
			}
		}
	}
}

// decodeSecret sets a secret from its inline form or from the file its
// _file form names (relative to the config file's directory, trailing
// newline trimmed). An empty value counts as not set, so that a
// "${VAR:-}" can leave either form out. Messages never include the value.
func (d *decoder) decodeSecret(sk *secretKeys, out *secret.String, path string) {
	filePath := path + fileSuffix
	if sk.inline != nil {
		d.decode(sk.inline, reflect.ValueOf(out).Elem(), path)
	}
	if sk.file == nil {
		return
	}
	var name string
	d.decode(sk.file, reflect.ValueOf(&name).Elem(), filePath)
	if name == "" {
		return
	}
	if !out.IsZero() {
		d.errorf(sk.fileKey, filePath, "set %s or %s, not both", lastKey(path), lastKey(filePath))
		return
	}
	d.idx.addFile(resolvePath(d.dir, name))
	b, err := readFile(resolvePath(d.dir, name), maxSecretFile)
	if err != nil {
		d.errorf(sk.file, filePath, "cannot read %q: %v", name, err)
		return
	}
	value := strings.TrimRight(string(b), "\r\n")
	if value == "" {
		d.errorf(sk.file, filePath, "%q is empty; it should hold the %s", name, lastKey(path))
		return
	}
	*out = secret.New(value)
}

// unknownKey reports a key the section does not have, with the keys it has
// and the closest one when the key looks like a typo of it.
func (d *decoder) unknownKey(k *yaml.Node, path, name string, allowed []string) {
	where := "the top level"
	if path != "" {
		where = path
	}
	msg := "unknown key %q in %s; allowed: %s"
	args := []any{name, where, strings.Join(allowed, ", ")}
	if s := suggest.Closest(name, allowed); s != "" {
		msg += " (did you mean %q?)"
		args = append(args, s)
	}
	d.errs.add(d.pos(k), "", msg, args...)
}

// want names what a type is written as, for "want X, got Y" messages.
func want(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return "a duration such as 30s or 90d"
	case reflect.TypeFor[ByteSize]():
		return "a size such as 1048576 or 64MiB"
	case reflect.TypeFor[Rate]():
		return "a rate such as 1/s or 30/m"
	case reflect.TypeFor[secret.String]():
		return "a string"
	case reflect.TypeFor[Expr]():
		return "an expression string"
	case reflect.TypeFor[Template]():
		return "a template string"
	}
	switch t.Kind() {
	case reflect.Struct:
		return "a mapping"
	case reflect.Map:
		return "a mapping of names to values"
	case reflect.Slice:
		return "a list"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	}
	return "a string"
}

// lastKey is the final key of a path: oms.password -> password.
func lastKey(path string) string {
	if i := strings.LastIndexAny(path, ".]"); i >= 0 && i+1 < len(path) {
		return path[i+1:]
	}
	return path
}
