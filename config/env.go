package config

import (
	"fmt"
	"os"
	"strings"
)

// envProblem is a ${...} reference that could not be expanded, with its
// byte offset in the scalar so the error can point at it.
type envProblem struct {
	offset int
	msg    string
}

// expandEnv expands environment references in a configuration value:
//
//	${VAR}           the variable's value; an error if VAR is not set
//	${VAR:-default}  the value, or default when VAR is unset or empty
//	$$               a literal $
//
// A "$" followed by anything else is kept as it is, so most passwords with
// a dollar sign need no escaping. Only the ${...} form is recognised because
// $VAR inside a longer word is easy to write by accident.
func expandEnv(s string) (string, []envProblem) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var problems []envProblem
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
		case '{':
			value, n, err := expandRef(s[i:])
			if err != nil {
				problems = append(problems, envProblem{offset: i, msg: err.Error()})
			}
			b.WriteString(value)
			i += n
		default:
			b.WriteByte('$')
			i++
		}
	}
	return b.String(), problems
}

// expandRef expands the ${...} reference at the start of s and returns its
// value and how many bytes it spans.
func expandRef(s string) (string, int, error) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return "", len(s), fmt.Errorf("${ is not closed by }; write $${ for a literal ${")
	}
	body := s[2:end]
	name, def, hasDefault := strings.Cut(body, ":-")
	if !validEnvName(name) {
		// The text is not echoed: it may be part of a secret.
		return "", end + 1, fmt.Errorf("${...} does not name an environment variable; want ${NAME} or ${NAME:-default}, NAME of letters, digits and _; write $${ for a literal ${")
	}
	value, set := os.LookupEnv(name)
	switch {
	case hasDefault && value == "":
		return def, end + 1, nil
	case !set:
		return "", end + 1, fmt.Errorf("environment variable %s is not set; set it, or give a default with ${%s:-default}", name, name)
	}
	return value, end + 1, nil
}

func validEnvName(name string) bool {
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for _, c := range name {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
