package setting

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Error is a problem with one setting of a component's section. Path is
// the YAML path below the section ("targets.oncall.channel"; "" for the
// section itself); Key says the problem is the key itself (a name that is
// not allowed, a key that does not belong), not its value. The
// configuration loader adds the section's path and the file, line and
// column.
type Error struct {
	Path string
	Msg  string
	Key  bool
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Errorf reports a problem with the value at path.
func Errorf(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// KeyErrorf reports a problem with the key at path itself.
func KeyErrorf(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...), Key: true}
}

// Under puts the Errors of err (errors.Join of them, or one) below prefix:
// a component validating a nested part of its section. Other errors stay
// as they are.
func Under(prefix string, err error) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range Flatten(err) {
		var se *Error
		if errors.As(e, &se) {
			c := *se
			c.Path = Join(prefix, c.Path)
			e = &c
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// Flatten lists the errors an errors.Join holds (recursively), or err.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// Key appends a key to a YAML path as the loader indexes it: a key with
// dots, brackets, quotes or blanks in it (a map key: a target's name) is
// written ["like.this"].
func Key(path, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\"' \t") {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// Join puts a path below another: Join("slack", "targets.oncall").
func Join(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case path[0] == '[':
		return prefix + path
	}
	return prefix + "." + path
}
