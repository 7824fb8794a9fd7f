package differ

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
)

// secretWords are the parts of a member name that say its value is a
// credential, matched in the lower-cased name with '_', '-' and '.' removed.
var secretWords = []string{"password", "passwd", "secret", "token", "credential",
	"accesskey", "apikey", "privatekey", "signature", "authorization"}

// secretName reports whether a member's name says its value is a
// credential. Every member of every snapshot written to the observation
// log passes here, so it folds the name into a buffer on the stack
// rather than allocating a lowered copy of it.
func secretName(k string) bool {
	var stack [64]byte
	n := stack[:0]
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_' || c == '-' || c == '.':
			continue // dropped
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= utf8.RuneSelf:
			return secretNameSlow(k) // strings.ToLower knows Unicode
		}
		n = append(n, c)
	}
	for _, w := range secretWords {
		if bytes.Contains(n, []byte(w)) {
			return true
		}
	}
	return bytes.HasSuffix(n, []byte("pwd"))
}

// secretNameSlow is secretName for a name that is not ASCII.
func secretNameSlow(k string) bool {
	n := strings.ToLower(strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' {
			return -1 // dropped
		}
		return r
	}, k))
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return strings.HasSuffix(n, "pwd")
}

// connectInfo reports whether segs is inside a source or sink connection.
func connectInfo(segs []string) bool {
	return len(segs) >= 2 && (segs[0] == "SourceConnectInfo" || segs[0] == "SinkConnectInfo")
}

// sensitive reports whether the value at segs is redacted whatever it is:
// a credential by name, or a connection's user name, host or connection
// string (oms-describeproject §3.4: redact before notifying).
func sensitive(segs []string) bool {
	if len(segs) > 0 && secretName(segs[len(segs)-1]) {
		return true
	}
	if connectInfo(segs) {
		switch segs[1] {
		case "Username", "Host", "ConnectionInfo":
			return true
		}
	}
	return false
}

// redactChange returns the op as events carry it: the value redacted.
func redactChange(o *op) event.Change {
	c := o.change
	if c.Value != nil {
		// The path grows and shrinks in one buffer of its own: a copy per
		// level would cost memory quadratic in the value's depth (JSON
		// nested 9,000 deep took 830 MB).
		segs := append(make([]string, 0, len(o.segs)+16), o.segs...)
		c.Value, _ = redact(segs, c.Value)
	}
	return c
}

// redact returns v with every sensitive value masked, and whether anything
// was; unchanged subtrees are shared, never copied, and v is not modified.
// segs is v's path; redact appends to it (children reuse the buffer beyond
// its length) but never keeps it.
func redact(segs []string, v any) (any, bool) {
	if v == nil {
		return nil, false
	}
	if sensitive(segs) {
		return secret.Mask, true
	}
	switch t := v.(type) {
	case string:
		// ConnExtraAttributes holds endpoints, user names and log proxy
		// addresses under engine-specific keys: mask every string in it.
		if connectInfo(segs) && segs[1] == "ConnExtraAttributes" && len(segs) > 2 {
			return secret.Mask, true
		}
	case map[string]any:
		var out map[string]any
		for k, e := range t {
			r, changed := redact(append(segs, k), e)
			if !changed {
				continue
			}
			if out == nil {
				out = make(map[string]any, len(t))
				for k2, e2 := range t {
					out[k2] = e2
				}
			}
			out[k] = r
		}
		if out != nil {
			return out, true
		}
	case []any:
		var out []any
		for i, e := range t {
			r, changed := redact(append(segs, strconv.Itoa(i)), e)
			if !changed {
				continue
			}
			if out == nil {
				out = append([]any(nil), t...)
			}
			out[i] = r
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}

// Redact returns a canonical tree (or a merge patch of one) with every
// credential, connection user name, host and connection string masked, as
// events carry them. The tree is not modified; unchanged subtrees are
// shared.
func Redact(tree map[string]any) map[string]any {
	r, _ := redact(make([]string, 0, 16), tree)
	m, _ := r.(map[string]any)
	return m
}
