package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/suggest"
)

// outboxFields are data fields an event of any type may carry beyond its
// catalog row: the outbox's changes_omitted (sinks/outbox.go).
var outboxFields = []string{"changes_omitted"}

// checkDataFields reports each event.Data.<name> (or event.Data["name"])
// in a route's expression whose name is a data field of none of the types
// the route can match: event.Data is a map, so the type checker cannot see
// event.Data.stpe, which would be nil on every event and quietly false.
func checkDataFields(pr *program, c *catalog, types uint64, p *problems) {
	if pr == nil {
		return
	}
	var names []string // catalog types the route can match
	for i, t := range c.types {
		if types&(1<<i) != 0 {
			names = append(names, t)
		}
	}
	fields := map[string]bool{}
	for _, f := range outboxFields {
		fields[f] = true
	}
	for _, t := range names {
		s, _ := event.Describe(t)
		for _, f := range append(s.Fields, s.Optional...) {
			fields[f] = true
		}
	}
	root := pr.prog.Node()
	ast.Walk(&root, dataVisitor(func(name string, n ast.Node) {
		if !fields[name] {
			p.add(pr.where, pr.path, "%s", describeDataField(pr.text, name, names, fields, n))
		}
	}))
}

// dataVisitor calls its func for each event.Data member read.
type dataVisitor func(name string, n ast.Node)

// Visit matches event.Data.<name>: a member of a member "Data" of the
// identifier event.
func (f dataVisitor) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	name, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	data, ok := m.Node.(*ast.MemberNode)
	if !ok {
		return
	}
	if prop, ok := data.Property.(*ast.StringNode); !ok || prop.Value != "Data" {
		return
	}
	if id, ok := data.Node.(*ast.IdentifierNode); ok && id.Value == "event" {
		f(name.Value, m)
	}
}

func describeDataField(text, name string, types []string, fields map[string]bool, n ast.Node) string {
	var msg string
	if len(types) == 1 {
		s, _ := event.Describe(types[0])
		msg = fmt.Sprintf("event.Data.%s: %s has no data field %s; its fields: %s", name, types[0], name,
			strings.Join(append(s.Fields, s.Optional...), ", "))
	} else {
		msg = fmt.Sprintf("event.Data.%s: no event type the route matches has a data field %s", name, name)
	}
	known := make([]string, 0, len(fields))
	for f := range fields {
		known = append(known, f)
	}
	slices.Sort(known)
	if s := suggest.Closest(name, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	from := n.Location().From
	if from < 0 || from > len(text) {
		return msg
	}
	before := text[:from]
	line := strings.Count(before, "\n") + 1
	col := len([]rune(before[strings.LastIndex(before, "\n")+1:])) + 1
	if strings.Contains(text, "\n") {
		return fmt.Sprintf("%s (line %d, column %d of the expression)", msg, line, col)
	}
	return fmt.Sprintf("%s (column %d of the expression)", msg, col)
}
