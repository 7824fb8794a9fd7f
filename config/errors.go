package config

import (
	"fmt"
	"sort"
	"strings"
)

// Position is where something is in a configuration file: the file name as
// it was given to Load or LoadFile (or the include path, for included rule
// files), and 1-based line and column. The zero Position means "unknown".
type Position struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// String formats the position as file:line:column, the form editors and
// terminals turn into a link.
func (p Position) String() string {
	if p.IsZero() {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// IsZero reports whether the position is unknown.
func (p Position) IsZero() bool { return p.Line == 0 }

// Error is one problem found in a configuration file. Path is the YAML path
// of the offending value ("oms.mode", "rules.routes[2].to[0]"); it is empty
// for problems that belong to no key (a syntax error, an empty file).
type Error struct {
	Pos  Position
	Path string
	Msg  string
}

// Error formats the problem as "file:line:col: path: message".
func (e *Error) Error() string {
	if e.Path == "" {
		return e.Pos.String() + ": " + e.Msg
	}
	return e.Pos.String() + ": " + e.Path + ": " + e.Msg
}

// Errors is every problem found while loading a configuration, in file order
// (the main file first, then included files in the order they are included)
// and, within a file, by line and column. Load returns all of them at once
// so one run of `omswatch validate` shows everything to fix.
type Errors []*Error

// Error prints one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.As and errors.Is.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// errorList collects problems during one load. files records the order in
// which files were read so sorting keeps the main file's problems first.
type errorList struct {
	errs  Errors
	files []string
}

func (l *errorList) add(pos Position, path, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// sorted orders the problems by file (in reading order), line, column, then
// message so the output is stable from run to run.
func (l *errorList) sorted() Errors {
	rank := func(file string) int {
		for i, f := range l.files {
			if f == file {
				return i
			}
		}
		return len(l.files)
	}
	out := append(Errors(nil), l.errs...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := rank(a.Pos.File), rank(b.Pos.File); ra != rb {
			return ra < rb
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Column != b.Pos.Column {
			return a.Pos.Column < b.Pos.Column
		}
		return a.Error() < b.Error()
	})
	return dedupe(out)
}

// dedupe drops a problem reported twice at the same place with the same
// words, which happens when an alias makes one node decode twice.
func dedupe(es Errors) Errors {
	out := es[:0]
	for i, e := range es {
		if i > 0 && e.Error() == es[i-1].Error() {
			continue
		}
		out = append(out, e)
	}
	return out
}
