package sinks

import "strings"

// Token makes s usable as one NATS subject token: every run of characters
// other than ASCII letters, digits, '_' and '-' becomes one '_', so a project
// name with spaces, dots or wildcards cannot add tokens or match more than
// itself (oms://cn-hangzhou -> oms_cn-hangzhou). An empty s gives "_".
func Token(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	gap := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
			gap = false
			continue
		}
		if !gap {
			b.WriteByte('_')
			gap = true
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// ValidSubject reports whether s is a subject one can publish to: tokens
// separated by single dots, none empty, no wildcards and no white space.
func ValidSubject(s string) bool {
	if s == "" {
		return false
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n*>") {
			return false
		}
	}
	return true
}

// EventSubject is the audit stream subject of an event:
// <prefix>.<source>.<project>.<type>, source and project as Tokens and the
// type (a catalog name, dots and all) kept as it is.
func EventSubject(prefix, source, project, typ string) string {
	return prefix + "." + Token(source) + "." + Token(project) + "." + typ
}
