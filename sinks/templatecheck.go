package sinks

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"text/template/parse"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/suggest"
)

// anyTypeFields are data fields an event of any type may carry beyond its
// catalog row (the outbox's changes_omitted).
var anyTypeFields = []string{"changes_omitted"}

// CheckTemplateFields checks the fields a template over TemplateData names
// against what the events it is for carry, so that a typo is an error when
// the configuration is loaded rather than a silent fallback (Slack) or an
// empty value (a subject, a body) at run time: {{.Typ}} and
// {{.Project.Nme}} name no field; {{.Data.stpe}} names a data field that no
// event of types has (the catalog's fields and optional fields). types are
// the event types the template is used for; nil means every type of the
// catalog. Every branch is checked, taken or not, and a field inside
// {{with}} and {{range}} where the type of dot is known; functions are the
// executing sink's and are not checked. A text that does not parse gives no
// problems here (setting.Template.CheckSyntax reports it).
func CheckTemplateFields(text string, types []string) []error {
	trees, err := parseSkippingFuncs(text)
	if err != nil {
		return nil
	}
	c := &templateChecker{text: text, fields: dataFields(types), types: types}
	for name, tree := range trees {
		if tree == nil || tree.Root == nil {
			continue
		}
		d := dotOf(reflect.TypeFor[TemplateData]())
		if name != "template" {
			d = dot{} // a {{define}}d template: its dot is whatever {{template}} passes
		}
		c.list(tree.Root, d)
	}
	return c.errs
}

func parseSkippingFuncs(text string) (map[string]*parse.Tree, error) {
	tree := parse.New("template")
	tree.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := tree.Parse(text, "", "", trees); err != nil {
		return nil, err
	}
	return trees, nil
}

// dataFields are the data fields events of types carry, by name.
func dataFields(types []string) map[string]bool {
	if len(types) == 0 {
		types = event.Types()
	}
	out := map[string]bool{}
	for _, f := range anyTypeFields {
		out[f] = true
	}
	for _, t := range types {
		s, ok := event.Describe(t)
		if !ok {
			continue
		}
		for _, f := range append(s.Fields, s.Optional...) {
			out[f] = true
		}
	}
	return out
}

// dot is what a template's dot (or a value) is known to be: a Go type, or
// the event's data map; the zero dot is unknown and is not checked.
type dot struct {
	t    reflect.Type
	data bool
}

func dotOf(t reflect.Type) dot { return dot{t: t} }

type templateChecker struct {
	text   string
	fields map[string]bool
	types  []string
	errs   []error
}

func (c *templateChecker) list(l *parse.ListNode, d dot) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(n, d)
	}
}

func (c *templateChecker) node(n parse.Node, d dot) {
	switch n := n.(type) {
	case *parse.ActionNode:
		c.pipe(n.Pipe, d)
	case *parse.IfNode:
		c.pipe(n.Pipe, d)
		c.list(n.List, d)
		c.list(n.ElseList, d)
	case *parse.WithNode:
		inner := c.pipe(n.Pipe, d)
		c.list(n.List, inner)
		c.list(n.ElseList, d)
	case *parse.RangeNode:
		over := c.pipe(n.Pipe, d)
		var elem dot
		if t := over.t; t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) && len(n.Pipe.Decl) == 0 {
			elem = dotOf(t.Elem())
		}
		c.list(n.List, elem)
		c.list(n.ElseList, d)
	case *parse.TemplateNode:
		c.pipe(n.Pipe, d)
	}
}

// pipe checks a pipeline and returns what it gives, when that is known: a
// single field chain.
func (c *templateChecker) pipe(p *parse.PipeNode, d dot) dot {
	if p == nil {
		return dot{}
	}
	var out dot
	for _, cmd := range p.Cmds {
		out = dot{}
		for _, arg := range cmd.Args {
			out = c.arg(arg, d)
		}
		if len(cmd.Args) != 1 {
			out = dot{}
		}
	}
	if len(p.Cmds) != 1 {
		return dot{}
	}
	return out
}

// arg checks one operand and returns what it is, when known.
func (c *templateChecker) arg(n parse.Node, d dot) dot {
	switch n := n.(type) {
	case *parse.FieldNode:
		return c.chain(n, d, n.Ident, n.String())
	case *parse.VariableNode:
		if len(n.Ident) > 0 && n.Ident[0] == "$" {
			return c.chain(n, dotOf(reflect.TypeFor[TemplateData]()), n.Ident[1:], n.String())
		}
	case *parse.ChainNode:
		base := dot{}
		if p, ok := n.Node.(*parse.PipeNode); ok {
			base = c.pipe(p, d)
		} else {
			base = c.arg(n.Node, d)
		}
		return c.chain(n, base, n.Field, n.String())
	case *parse.PipeNode:
		return c.pipe(n, d)
	case *parse.DotNode:
		return d
	}
	return dot{}
}

// chain resolves .A.B.C from d, reporting the first name that is not
// there.
func (c *templateChecker) chain(n parse.Node, d dot, idents []string, text string) dot {
	for i, id := range idents {
		switch {
		case d.data:
			if !c.fields[id] {
				c.unknownData(n, text, id)
			}
			return dot{}
		case d.t == nil:
			return dot{}
		}
		t := d.t
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return dot{}
		}
		if f, ok := t.FieldByName(id); ok && f.IsExported() {
			d = dot{t: f.Type, data: t == reflect.TypeFor[TemplateData]() && id == "Data"}
			continue
		}
		if _, ok := reflect.PointerTo(t).MethodByName(id); ok {
			return dot{}
		}
		c.unknownField(n, text, strings.Join(idents[:i], "."), t, id)
		return dot{}
	}
	return d
}

func (c *templateChecker) unknownField(n parse.Node, text, parent string, t reflect.Type, id string) {
	var names []string
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			names = append(names, t.Field(i).Name)
		}
	}
	what := "the template data"
	switch {
	case parent != "":
		what = "." + parent
	case t != reflect.TypeFor[TemplateData]():
		what = "dot (" + t.String() + ")"
	}
	msg := fmt.Sprintf("%s: %s has no field %s; its fields: %s", text, what, id, strings.Join(names, ", "))
	if s := suggest.Closest(id, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	c.add(n, msg)
}

func (c *templateChecker) unknownData(n parse.Node, text, id string) {
	names := make([]string, 0, len(c.fields))
	for f := range c.fields {
		names = append(names, f)
	}
	slices.Sort(names)
	var msg string
	if len(c.types) == 1 {
		s, _ := event.Describe(c.types[0])
		msg = fmt.Sprintf("%s: %s has no data field %s; its fields: %s", text, c.types[0], id, strings.Join(append(s.Fields, s.Optional...), ", "))
	} else {
		msg = fmt.Sprintf("%s: no event type it is used for has a data field %s", text, id)
		if len(c.types) > 0 && len(c.types) <= 3 {
			msg = fmt.Sprintf("%s: none of %s has a data field %s; their fields: %s", text, strings.Join(c.types, ", "), id, strings.Join(names, ", "))
		}
	}
	if s := suggest.Closest(id, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	c.add(n, msg)
}

// add reports a problem, with its line in a template of several lines.
func (c *templateChecker) add(n parse.Node, msg string) {
	if strings.Contains(c.text, "\n") {
		if pos := int(n.Position()); pos >= 0 && pos <= len(c.text) {
			msg = fmt.Sprintf("template line %d: %s", strings.Count(c.text[:pos], "\n")+1, msg)
		}
	}
	c.errs = append(c.errs, fmt.Errorf("%s", msg))
}
