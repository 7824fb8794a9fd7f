package service

import (
	"errors"
	"fmt"
)

// ErrInvalid marks errors in what the user gave: the configuration, a
// recording, a file named on the command line. A command exits 2 on them
// (1 on every other error). Match it with errors.Is.
var ErrInvalid = errors.New("invalid input")

// invalidError wraps an input error; its message is the wrapped one's.
type invalidError struct{ err error }

func (e *invalidError) Error() string        { return e.err.Error() }
func (e *invalidError) Unwrap() error        { return e.err }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// Invalid marks err as an input error (see ErrInvalid); nil stays nil.
func Invalid(err error) error {
	if err == nil {
		return nil
	}
	return &invalidError{err: err}
}

// Invalidf formats an input error.
func Invalidf(format string, args ...any) error { return Invalid(fmt.Errorf(format, args...)) }

// Plural picks one or many by n.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
