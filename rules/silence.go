package rules

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/suggest"
	"github.com/omswatch/omswatch/oms"
)

// Silence mutes the events its matchers all match from StartsAt until
// EndsAt. Silences live in JetStream KV (rules/kvstate) so that every
// replica sees them; `omswatch silence add|list|expire` manages them.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	Comment   string    `json:"comment,omitempty"`
}

// Matcher compares one attribute of an event: Name is one of
// MatcherNames, Op one of = (a glob, or ~regex as in routes), != (its
// negation), =~ (a regular expression) and !~ (its negation).
type Matcher struct {
	Name  string `json:"name"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

// MatcherNames returns the attributes silences can match.
func MatcherNames() []string {
	return []string{"type", "project", "name", "label", "importance", "severity", "phase", "step", "source", "rule"}
}

// ParseMatcher reads a matcher written as name=value, name!=value,
// name=~regex or name!~regex (as amtool takes them).
func ParseMatcher(s string) (Matcher, error) {
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		return Matcher{}, fmt.Errorf("matcher %q: want name=value, name!=value, name=~regex or name!~regex", s)
	}
	name, rest := s[:i], s[i:]
	var op string
	for _, o := range []string{"=~", "!~", "!=", "="} {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	if op == "" {
		return Matcher{}, fmt.Errorf("matcher %q: want name=value, name!=value, name=~regex or name!~regex", s)
	}
	m := Matcher{Name: strings.TrimSpace(name), Op: op, Value: rest[len(op):]}
	_, err := m.compile()
	return m, err
}

// NewSilence builds a silence with a new random id from matchers as a
// person writes them (ParseMatchers), and checks it. Every problem is
// reported.
func NewSilence(matchers []string, starts, ends time.Time, author, comment string) (Silence, error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	sil := Silence{ID: hex.EncodeToString(b), StartsAt: starts, EndsAt: ends, CreatedBy: author, Comment: comment}
	ms, err := ParseMatchers(matchers)
	if err != nil {
		return sil, err
	}
	sil.Matchers = ms
	return sil, sil.Validate()
}

// ParseMatchers reads matchers as ParseMatcher does and checks the values
// of the attributes with a closed vocabulary (type, severity, importance,
// phase) against it: severity=critcal would make a silence that never
// mutes anything, and severity!=critcal one that mutes everything. Every
// problem is reported.
func ParseMatchers(args []string) ([]Matcher, error) {
	var out []Matcher
	var errs []error
	for _, a := range args {
		m, err := ParseMatcher(a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := m.checkValue(); err != nil {
			errs = append(errs, fmt.Errorf("matcher %q: %w", a, err))
		}
		out = append(out, m)
	}
	return out, errors.Join(errs...)
}

// vocabulary is the values an attribute can have, and what one is called;
// nil for free-form attributes (project ids, names, labels, steps...).
func vocabulary(name string) (values []string, what string) {
	switch name {
	case "type":
		return event.Types(), "an event type"
	case "severity":
		return []string{string(event.Info), string(event.Warning), string(event.Critical)}, "a severity"
	case "importance":
		return importanceNames[:], "an importance"
	case "phase":
		for _, p := range oms.Phases() {
			values = append(values, string(p))
		}
		return values, "a phase"
	}
	return nil, ""
}

// checkValue reports a value (or pattern) that matches no value its
// attribute can have. The pattern is checked whatever the operator: a
// negated one that matches nothing would match every event.
func (m Matcher) checkValue() error {
	values, what := vocabulary(m.Name)
	if values == nil {
		return nil
	}
	cm, err := m.compile()
	if err != nil {
		return nil // ParseMatcher has said so
	}
	for _, v := range values {
		if cm.pat.match(v) {
			return nil
		}
	}
	var msg string
	if literal := (m.Op == "=" || m.Op == "!=") && !strings.HasPrefix(m.Value, "~") && !strings.ContainsAny(m.Value, "*?["); literal {
		msg = fmt.Sprintf("%q is not %s", m.Value, what)
	} else {
		msg = fmt.Sprintf("%q matches no %s", m.Value, strings.TrimPrefix(strings.TrimPrefix(what, "an "), "a "))
	}
	if m.Name != "type" {
		msg += "; want " + orWords(values)
	}
	if s := suggest.Closest(m.Value, values); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return errors.New(msg)
}

// orWords lists values as "a, b or c".
func orWords(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// String writes the matcher as ParseMatcher reads it.
func (m Matcher) String() string { return m.Name + m.Op + m.Value }

// compiledMatcher is a Matcher ready to run.
type compiledMatcher struct {
	name   string
	negate bool
	pat    pattern
}

func (m Matcher) compile() (compiledMatcher, error) {
	if !slices.Contains(MatcherNames(), m.Name) {
		return compiledMatcher{}, fmt.Errorf("matcher %q: unknown attribute %q; want one of %s", m, m.Name, strings.Join(MatcherNames(), ", "))
	}
	var pat pattern
	var err error
	switch m.Op {
	case "=", "!=":
		pat, err = compilePattern(m.Value)
	case "=~", "!~":
		pat, err = compileRegex(m.Value)
	default:
		err = fmt.Errorf("operator %q: want =, !=, =~ or !~", m.Op)
	}
	if err != nil {
		return compiledMatcher{}, fmt.Errorf("matcher %q: %w", m, err)
	}
	return compiledMatcher{name: m.Name, negate: strings.HasPrefix(m.Op, "!"), pat: pat}, nil
}

// Validate checks a silence before it is stored.
func (s Silence) Validate() error {
	var errs []error
	if s.ID == "" {
		errs = append(errs, errors.New("silence has no id"))
	}
	if len(s.Matchers) == 0 {
		errs = append(errs, errors.New("silence has no matchers; it would mute everything"))
	}
	for _, m := range s.Matchers {
		if _, err := m.compile(); err != nil {
			errs = append(errs, err)
		}
	}
	if !s.EndsAt.After(s.StartsAt) {
		errs = append(errs, errors.New("silence ends before it starts"))
	}
	return errors.Join(errs...)
}

// Active reports whether the silence is in force at t.
func (s Silence) Active(t time.Time) bool { return !t.Before(s.StartsAt) && t.Before(s.EndsAt) }

// Silences is a compiled set of silences, built once per change of the set
// and shared by evaluations. A nil *Silences mutes nothing.
type Silences struct {
	cat  *catalog
	list []compiledSilence
}

type compiledSilence struct {
	Silence
	matchers []compiledMatcher
}

// NewSilences compiles silences. One that does not compile is left out and
// reported; the others still apply.
func NewSilences(ss []Silence) (*Silences, error) {
	out := &Silences{cat: newCatalog()}
	var errs []error
	for _, s := range ss {
		cs := compiledSilence{Silence: s}
		ok := true
		for _, m := range s.Matchers {
			cm, err := m.compile()
			if err != nil {
				errs = append(errs, fmt.Errorf("silence %s: %w", s.ID, err))
				ok = false
				break
			}
			cs.matchers = append(cs.matchers, cm)
		}
		if ok && len(cs.matchers) > 0 {
			out.list = append(out.list, cs)
		}
	}
	slices.SortFunc(out.list, func(a, b compiledSilence) int { return strings.Compare(a.ID, b.ID) })
	return out, errors.Join(errs...)
}

// Len returns how many silences the set holds.
func (s *Silences) Len() int {
	if s == nil {
		return 0
	}
	return len(s.list)
}

// matchSilence returns the first silence in force at now that mutes ev,
// or nil.
func (s *Silences) matchSilence(ev *event.Event, now time.Time) *Silence {
	if s == nil || len(s.list) == 0 {
		return nil
	}
	var f facts
	s.cat.factsOf(ev, &f)
	for i := range s.list {
		cs := &s.list[i]
		if cs.Active(now) && cs.mutes(ev, &f, s.cat) {
			return &cs.Silence
		}
	}
	return nil
}

// Match returns the id of the silence that mutes ev at now, or "".
func (s *Silences) Match(ev event.Event, now time.Time) string {
	if sil := s.matchSilence(&ev, now); sil != nil {
		return sil.ID
	}
	return ""
}

func (cs *compiledSilence) mutes(ev *event.Event, f *facts, c *catalog) bool {
	for _, m := range cs.matchers {
		values := attribute(m.name, ev, f, c)
		hit := false
		for _, v := range values {
			if m.pat.match(v) {
				hit = true
				break
			}
		}
		if hit == m.negate {
			return false
		}
	}
	return true
}

// attribute returns the values of an event attribute a matcher compares.
func attribute(name string, ev *event.Event, f *facts, c *catalog) []string {
	p := ev.Data.Project
	switch name {
	case "type":
		return []string{ev.Type}
	case "project":
		return []string{f.project}
	case "name":
		return []string{p.Name}
	case "label":
		return p.Labels
	case "importance":
		return []string{p.Importance}
	case "severity":
		return []string{string(ev.Severity)}
	case "phase":
		if f.phase < len(c.phases) {
			return []string{string(c.phases[f.phase])}
		}
		return []string{""}
	case "step":
		return []string{f.step}
	case "source":
		return []string{ev.Source}
	}
	return []string{f.rule} // rule
}
