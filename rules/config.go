package rules

import (
	"time"
)

// Config is what the engine is built from. The service fills it from the
// configuration file; Where and Path on each item only label errors, so that
// New reports a bad expression at the file, line and column it was written.
type Config struct {
	Routes     []Route
	DefaultTo  []string
	Conditions []Condition
	Inhibit    []Inhibit
	// Targets are the names routes may send to; nil skips the check.
	Targets []string
	// RepeatInterval is how often a condition that stays firing is told
	// again (an oms.condition.firing reminder, which the audit trail
	// keeps: a decision, not a delivery concern).
	RepeatInterval time.Duration
}

// Route sends the events its matchers (and When) accept to targets, or
// drops them.
type Route struct {
	Name     string
	Match    Match
	When     Expr
	Severity string
	To       []string
	Continue bool
	Drop     bool
	// OncePer is a string expression over the event: the route sends an
	// event only the first time its value is seen for the project.
	OncePer Expr
	// Where is the route's file:line:column and MatchWhere its match's;
	// Path is its YAML path, e.g. rules.routes[3].
	Where, MatchWhere, Path string
}

// Match selects events: an event matches when it matches every criterion
// given; within a list any item may match. Projects, Names, Labels, Steps,
// Sources and Rules are globs (*, ?, [a-z]) or, after ~, regular
// expressions; Types are globs over the event catalog.
type Match struct {
	Types           []string `yaml:"types"`
	Projects        []string `yaml:"projects"`
	Names           []string `yaml:"names"`
	Labels          []string `yaml:"labels"`
	Importance      []string `yaml:"importance"`
	SeverityAtLeast string   `yaml:"severity_at_least"`
	Severity        []string `yaml:"severity"`
	Phases          []string `yaml:"phases"`
	Steps           []string `yaml:"steps"`
	Sources         []string `yaml:"sources"`
	Rules           []string `yaml:"rules"`
}

// Condition is a level rule over a project's snapshots. While, when
// given, says when the condition applies (a delay rule: while the project
// and its incremental step run): while it does not hold, the condition is
// not measured, a pending one ends quietly and a firing one resolves with
// reason not_applicable. Expr is the measure itself; when it stops holding
// while While holds, the condition resolves with reason recovered.
type Condition struct {
	Name          string
	While         Expr
	Expr          Expr
	Value         Expr
	For           time.Duration
	KeepFiringFor time.Duration
	Severity      string
	Labels        map[string]string
	Where, Path   string
}

// Inhibit mutes events of a project while a source holds for it: any of
// SourceConditions firing (names or globs) and/or SourceWhen true.
type Inhibit struct {
	Name             string
	SourceConditions []string
	SourceWhen       Expr
	Target           Match
	// Where is the inhibition's file:line:column, TargetWhere its target's.
	Where, TargetWhere, Path string
}

// Expr is an expression as written, with where it was written.
type Expr struct {
	Text  string
	Where string // file:line:column
	Path  string // YAML path
}

// IsZero reports whether no expression was given.
func (e Expr) IsZero() bool { return e.Text == "" }

// Validate compiles the configuration and discards the engine: every
// problem New would report, as Errors. The configuration loader calls it so
// that one load reports the rules' problems with all the others.
func (c Config) Validate() error {
	_, err := New(c)
	return err
}
