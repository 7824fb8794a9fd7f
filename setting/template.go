package setting

import (
	"strings"
	"text/template/parse"
)

// Template is a Go text/template as written, taken literally (no ${VAR}
// expansion: "$" means something to templates), with where it was written
// (file:line:column) for messages at run time. The component that executes
// it compiles it with its own functions.
type Template struct {
	Text  string
	Where string
}

// SetLiteral is how the configuration loader fills it.
func (t *Template) SetLiteral(text, where string) { t.Text, t.Where = text, where }

// MarshalText writes the template's text.
func (t Template) MarshalText() ([]byte, error) { return []byte(t.Text), nil }

// IsZero reports whether no template was given.
func (t Template) IsZero() bool { return t.Text == "" }

// CheckSyntax reports a template that does not parse, as an Error at path.
// Functions are not checked: the component that runs the template brings
// its own, and checks them when it compiles it.
func (t Template) CheckSyntax(path string) error {
	tree := parse.New("template")
	tree.Mode = parse.SkipFuncCheck
	_, err := tree.Parse(t.Text, "", "", map[string]*parse.Tree{})
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), "template: template:")
	if line, rest, ok := strings.Cut(msg, ":"); ok && !strings.Contains(t.Text, "\n") {
		_ = line // a one-line template: its line number says nothing
		msg = rest
	} else if ok {
		msg = "template line " + line + ":" + rest
	}
	return Errorf(path, "not a valid template: %s", strings.TrimSpace(msg))
}
