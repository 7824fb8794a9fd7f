package rules

import (
	"fmt"
	"path"
	"regexp"
	"regexp/syntax"
	"strings"
)

// patternKind says how a pattern matches; the common globs (exact, prefix*,
// *suffix, *part*) get string functions instead of path.Match, because the
// matcher runs for every route an event might take.
type patternKind uint8

const (
	patExact patternKind = iota
	patPrefix
	patSuffix
	patContains
	patGlob
	patRegex
)

// pattern matches one string: a glob (* any run of characters, '/'
// included, so oms://* matches every cloud source; ? one character; [a-z]
// a class), or after ~ an RE2 regular expression the user anchors.
type pattern struct {
	kind patternKind
	lit  string // the literal of exact, prefix, suffix and contains; the glob
	re   *regexp.Regexp
	// need is a literal every match of re starts with; anchored says it
	// must start the string. It rejects most strings without running re.
	need     string
	anchored bool
}

// compilePattern compiles a matcher item as written in a route.
func compilePattern(p string) (pattern, error) {
	if p == "" {
		return pattern{}, fmt.Errorf("empty pattern; write * to match anything")
	}
	if src, ok := strings.CutPrefix(p, "~"); ok {
		return compileRegex(src)
	}
	if _, err := path.Match(p, ""); err != nil {
		return pattern{}, fmt.Errorf("%q is not a valid glob (use *, ? and [a-z]; or ~regex)", p)
	}
	if !strings.ContainsAny(p, `*?[\`) {
		return pattern{kind: patExact, lit: p}, nil
	}
	inner := p
	lead, trail := strings.HasPrefix(inner, "*"), strings.HasSuffix(inner, "*")
	inner = strings.TrimPrefix(inner, "*")
	if trail && inner != "" {
		inner = strings.TrimSuffix(inner, "*")
	}
	if inner == "" || strings.ContainsAny(inner, `*?[\`) {
		return compileGlob(p)
	}
	switch {
	case lead && trail:
		return pattern{kind: patContains, lit: inner}, nil
	case lead:
		return pattern{kind: patSuffix, lit: inner}, nil
	default:
		return pattern{kind: patPrefix, lit: inner}, nil
	}
}

// compileGlob turns a general glob into an anchored regular expression.
// path.Match has already accepted its syntax.
func compileGlob(glob string) (pattern, error) {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+1 < len(glob) {
				i++
				b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
			}
		case '[':
			end := classEnd(glob, i+1)
			b.WriteString(glob[i : end+1]) // RE2 reads [^a-z] and \] alike
			i = end
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)$`)
	p, err := compileRegex(b.String())
	p.kind, p.lit = patGlob, glob
	return p, err
}

// classEnd returns the index of the ']' closing the class opened before
// from, skipping escaped characters.
func classEnd(glob string, from int) int {
	for i := from; i < len(glob); i++ {
		switch glob[i] {
		case '\\':
			i++
		case ']':
			return i
		}
	}
	return len(glob) - 1 // unreachable: path.Match rejected unclosed classes
}

func compileRegex(src string) (pattern, error) {
	re, err := regexp.Compile(src)
	if err != nil {
		return pattern{}, fmt.Errorf("%q is not a valid regular expression: %v", src,
			strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	need, _ := re.LiteralPrefix()
	return pattern{kind: patRegex, lit: src, re: re, need: need, anchored: startsAnchored(src)}, nil
}

// startsAnchored reports whether a regexp can only match at the start of
// the text (it begins with ^ or \A outside any alternation).
func startsAnchored(src string) bool {
	t, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return false
	}
	t = t.Simplify()
	for t.Op == syntax.OpConcat || t.Op == syntax.OpCapture {
		if len(t.Sub) == 0 {
			return false
		}
		t = t.Sub[0]
	}
	return t.Op == syntax.OpBeginText
}

// match reports whether s matches. It does not allocate.
func (p *pattern) match(s string) bool {
	switch p.kind {
	case patExact:
		return s == p.lit
	case patPrefix:
		return strings.HasPrefix(s, p.lit)
	case patSuffix:
		return strings.HasSuffix(s, p.lit)
	case patContains:
		return strings.Contains(s, p.lit)
	}
	// patGlob and patRegex.
	if p.anchored {
		if !strings.HasPrefix(s, p.need) {
			return false
		}
	} else if p.need != "" && !strings.Contains(s, p.need) {
		return false
	}
	return p.re.MatchString(s)
}

// patterns is one matcher list: any item may match.
type patterns []pattern

func compilePatterns(items []string) (patterns, []error) {
	var out patterns
	var errs []error
	for _, it := range items {
		p, err := compilePattern(it)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, p)
	}
	return out, errs
}

func (ps patterns) match(s string) bool {
	for i := range ps {
		if ps[i].match(s) {
			return true
		}
	}
	return false
}

// matchAny reports whether any of ss matches any pattern (labels).
func (ps patterns) matchAny(ss []string) bool {
	for _, s := range ss {
		if ps.match(s) {
			return true
		}
	}
	return false
}

// exacts returns the literals when every pattern is exact, so the index
// can look them up instead of trying them.
func (ps patterns) exacts() ([]string, bool) {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.kind != patExact {
			return nil, false
		}
		out = append(out, p.lit)
	}
	return out, true
}
