package config

import (
	"errors"
	"strconv"
	"strings"

	"github.com/omswatch/omswatch/rules"
)

// RulesConfig is the rules section as the rules engine takes it: routes,
// conditions and inhibitions of the file and its includes, each with where
// it was written, so the engine's errors (at construction and at run time)
// name the file, line and column.
func (c *Config) RulesConfig() rules.Config { return c.rulesConfig(displayPath) }

// rulesConfig maps the rules section with path(p) as each item's path.
func (c *Config) rulesConfig(path func(string) string) rules.Config {
	r := c.Rules
	out := rules.Config{DefaultTo: r.DefaultTo, RepeatInterval: r.RepeatInterval.Duration(), Targets: []string{}}
	for _, t := range c.Targets() {
		out.Targets = append(out.Targets, t.Name)
	}
	expr := func(e Expr, p string) rules.Expr { return rules.Expr{Text: e.Text, Where: e.Pos.String(), Path: p} }
	for _, rt := range r.Routes {
		p := path(rt.path)
		out.Routes = append(out.Routes, rules.Route{
			Name: rt.Name, Match: rt.Match, Severity: rt.Severity, To: rt.To,
			Continue: rt.Continue, Drop: rt.Drop,
			When: expr(rt.When, p+".when"), OncePer: expr(rt.OncePer, p+".once_per"),
			Where: rt.Pos.String(), MatchWhere: rt.MatchPos.String(), Path: p,
		})
	}
	for _, cd := range r.Conditions {
		p := path(cd.path)
		out.Conditions = append(out.Conditions, rules.Condition{
			Name: cd.Name, While: expr(cd.While, p+".while"), Expr: expr(cd.Expr, p+".expr"), Value: expr(cd.Value, p+".value"),
			For: cd.For.Duration(), KeepFiringFor: cd.KeepFiringFor.Duration(), Severity: cd.Severity,
			Labels: cd.Labels, Where: cd.Pos.String(), Path: p,
		})
	}
	for _, in := range r.Inhibit {
		p := path(in.path)
		out.Inhibit = append(out.Inhibit, rules.Inhibit{
			Name: in.Name, SourceConditions: in.SourceConditions, SourceWhen: expr(in.SourceWhen, p+".source_when"),
			Target: in.Target, Where: in.Pos.String(), TargetWhere: in.TargetPos.String(), Path: p,
		})
	}
	return out
}

// checkRules compiles the rules as the service will, so that one run of
// validate shows what only compiling finds (expressions that do not compile
// or read a data field no matched event type has, matchers no event can
// satisfy) together with everything else. The engine checks some of what
// the sections' checks did (names, targets, enums); a problem already
// reported at a path, or below it, is the same mistake and is not reported
// again, nor is one under a value that could not be decoded.
func (c *Config) checkRules(v *validator) {
	err := c.rulesConfig(func(p string) string { return p }).Validate()
	var list rules.Errors
	if !errors.As(err, &list) {
		return
	}
	reported := make([]*Error, len(v.errs.errs))
	copy(reported, v.errs.errs)
	for _, e := range list {
		display := displayPath(e.Path)
		pos, ok := parsePosition(e.Where)
		if !ok {
			pos = v.idx.valuePos(e.Path)
		}
		if v.underFailed(e.Path) || reportedAt(reported, pos.File, display) {
			continue
		}
		v.errs.add(pos, display, "%s", e.Msg)
	}
}

// reportedAt reports whether one of es is about path, or a value below
// it, in file.
func reportedAt(es []*Error, file, path string) bool {
	for _, e := range es {
		if e.Pos.File != file {
			continue
		}
		if rest, ok := strings.CutPrefix(e.Path, path); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			return true
		}
	}
	return false
}

// parsePosition reads a Position back from its String (file:line:column;
// the file may itself hold colons).
func parsePosition(s string) (Position, bool) {
	rest, col, ok1 := cutLast(s, ":")
	file, line, ok2 := cutLast(rest, ":")
	l, err1 := strconv.Atoi(line)
	c, err2 := strconv.Atoi(col)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || l < 1 || c < 1 {
		return Position{}, false
	}
	return Position{File: file, Line: l, Column: c}, true
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
