package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/omswatch/omswatch/internal/suggest"
	"github.com/omswatch/omswatch/setting"
)

// validator is handed to every section's validate method. It turns a YAML
// path into a position through the index, so a semantic problem ("region is
// required", "unknown target") is located like a syntax one.
type validator struct {
	errs *errorList
	idx  *index
}

// errorf reports a problem with the value at path (or, when the value is a
// default, at the nearest thing written in the file).
func (v *validator) errorf(path, format string, args ...any) {
	if v.underFailed(path) {
		return // the decoder has said what is wrong with this value
	}
	v.errs.add(v.idx.valuePos(path), displayPath(path), format, args...)
}

// keyErrorf reports a problem with the key at path itself: a bad name, a
// key that does not belong with the others.
func (v *validator) keyErrorf(path, format string, args ...any) {
	if v.underFailed(path) {
		return
	}
	v.errs.add(v.idx.keyPos(path), displayPath(path), format, args...)
}

// underFailed reports whether the value at path, or a value containing it,
// could not be decoded: a section written as a list is not checked for
// missing keys as well.
func (v *validator) underFailed(path string) bool {
	for {
		if v.idx.failed[path] {
			return true
		}
		parent, ok := v.idx.parents[path]
		if !ok {
			parent, ok = parentPath(path)
		}
		if !ok {
			return false
		}
		path = parent
	}
}

// set reports whether the file gives path a value (not a default).
func (v *validator) set(path string) bool { return v.idx.has(path) }

// failed reports whether the value at path could not be decoded. Checks
// across fields treat such a value as present, so one mistake is reported
// once rather than again as "missing".
func (v *validator) failed(path string) bool { return v.idx.failed[path] }

// oneOf checks that value is one of allowed.
func (v *validator) oneOf(path, value string, allowed ...string) bool {
	if slices.Contains(allowed, value) {
		return true
	}
	msg := fmt.Sprintf("%q is not allowed; want %s", value, orList(allowed))
	if s := suggest.Closest(value, allowed); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	v.errorf(path, "%s", msg)
	return false
}

// eachOneOf checks every item of a list of enum values, and that none is
// repeated.
func (v *validator) eachOneOf(path string, values []string, allowed ...string) {
	for i, s := range values {
		v.oneOf(fmt.Sprintf("%s[%d]", path, i), s, allowed...)
	}
	v.unique(path, values)
}

// unique reports the second and later copies of a value in a list.
func (v *validator) unique(path string, values []string) {
	first := map[string]int{}
	for i, s := range values {
		if j, dup := first[s]; dup {
			v.errorf(fmt.Sprintf("%s[%d]", path, i), "%q is listed twice (also item %d)", s, j)
			continue
		}
		first[s] = i
	}
}

// positive checks a duration or count that must be above zero.
func (v *validator) positive(path string, ok bool) {
	if !ok {
		v.errorf(path, "must be greater than zero")
	}
}

// httpURL checks an http or https URL. The value is not echoed: URLs of
// webhooks and NATS servers may carry credentials.
func (v *validator) httpURL(path, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.errorf(path, "not an http:// or https:// URL with a host")
		return nil
	}
	return u
}

// hostPort checks a listen address such as 127.0.0.1:9090 or :9090.
// Port 0 asks the system for a free port (the server logs which).
func (v *validator) hostPort(path, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !(setting.ValidPort(port) || port == "0") || strings.ContainsAny(host, " /") {
		v.errorf(path, "%q is not a listen address; want host:port, e.g. 127.0.0.1:9090 or :9090", addr)
	}
}

// pattern checks a name matcher: a glob (path.Match syntax: *, ?, [a-z]) or,
// with a leading ~, a regular expression (RE2, anchored by the user).
func (v *validator) pattern(at, p string) {
	if p == "" {
		v.errorf(at, "empty pattern; write * to match anything")
		return
	}
	if re, ok := strings.CutPrefix(p, "~"); ok {
		if _, err := regexp.Compile(re); err != nil {
			v.errorf(at, "%q is not a valid regular expression: %v", re, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		return
	}
	if _, err := path.Match(p, ""); err != nil {
		v.errorf(at, "%q is not a valid glob (use *, ? and [a-z]; or ~regex)", p)
	}
}

// lazyRegexp compiles expr the first time it is used. The package's
// patterns are only needed to validate a configuration, but compiled at
// package init they cost every omswatch command, version included, a
// millisecond and over a thousand allocations before main runs.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// namePattern is what user-chosen names (targets, routes, conditions,
// schedule groups) look like: they appear in `to:` lists, metrics labels
// and KV keys.
var namePattern = lazyRegexp(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

func (v *validator) name(path, kind, name string, key bool) bool {
	if namePattern().MatchString(name) && len(name) <= 64 {
		return true
	}
	report := v.errorf
	if key {
		report = v.keyErrorf
	}
	report(path, "%s name %q is not allowed; use up to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", kind, name)
	return false
}

// orList formats allowed values as "a, b or c".
func orList(allowed []string) string {
	switch len(allowed) {
	case 0:
		return "nothing"
	case 1:
		return allowed[0]
	}
	return strings.Join(allowed[:len(allowed)-1], ", ") + " or " + allowed[len(allowed)-1]
}

// component reports what a component's Validate found in its section at
// path: each setting.Error at its own path below the section (at the key
// the file actually uses, name or name_file), any other error at the
// section.
func (v *validator) component(section string, err error) {
	for _, e := range setting.Flatten(err) {
		var se *setting.Error
		if !errors.As(e, &se) {
			v.errorf(section, "%s", e.Error())
			continue
		}
		p := secretPath(v, setting.Join(section, se.Path))
		if se.Key {
			v.keyErrorf(p, "%s", se.Msg)
		} else {
			v.errorf(p, "%s", se.Msg)
		}
	}
}

// secretPath is the path of whichever form of a secret the file uses, so an
// error points at the key that is actually there.
func secretPath(v *validator, path string) string {
	if !v.set(path) && v.set(path+fileSuffix) {
		return path + fileSuffix
	}
	return path
}
