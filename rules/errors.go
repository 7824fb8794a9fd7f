package rules

import (
	"fmt"
	"strings"
)

// Error is one problem in the rules, located like a configuration error:
// where (file:line:column), the YAML path and what is wrong.
type Error struct {
	Where string
	Path  string
	Msg   string
}

// Error formats the problem as "where: path: message".
func (e *Error) Error() string {
	parts := make([]string, 0, 3)
	for _, p := range []string{e.Where, e.Path} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(append(parts, e.Msg), ": ")
}

// Errors is every problem New found, in the order the rules were written.
type Errors []*Error

// Error prints one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// problems collects errors during New.
type problems struct{ errs Errors }

func (p *problems) add(where, path, format string, args ...any) {
	p.errs = append(p.errs, &Error{Where: where, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return p.errs
}
