package rules

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/suggest"
	"github.com/omswatch/omswatch/oms"
)

// Env is what expressions see. Route conditions (when, once_per) see all of
// it; level conditions and inhibitions see everything but event, which is
// then the zero Event.
//
//	event      the event being routed (Event)
//	project    the Project view of the new snapshot (oms.Project)
//	           with project.Incr.ETA, the catch-up ETA read from the sync
//	           delay at the project's last polls (kept in its State)
//	prev       the previous snapshot's view; the zero Project (prev.ID == "")
//	           on first sight
//	step(n)    project's step named n in either spelling (oms.Step; Name ""
//	           when there is none)
//	phase(p)   project's steps in phase p with their combined status (Phase)
//	now()      the evaluation clock: when the snapshot was observed, or the
//	           recording's time in replay
//	since(t)   now() - t, and until(t) t - now(); 0 for a zero time
//	duration(s) expr's builtin: duration("90s") is a time.Duration
//
// Values of named string types (a step's Phase) compare with strings.
type Env struct {
	Event   Event        `expr:"event"`
	Project *oms.Project `expr:"project"`
	Prev    *oms.Project `expr:"prev"`

	Step  func(string) oms.Step         `expr:"step"`
	Phase func(string) Phase            `expr:"phase"`
	Now   func() time.Time              `expr:"now"`
	Since func(time.Time) time.Duration `expr:"since"`
	Until func(time.Time) time.Duration `expr:"until"`
}

// Event is the event as expressions see it: plain strings, so that
// event.Severity == "critical" compares as written, and Data the event's
// type-specific fields (event.Data.step, event.Data.code).
type Event struct {
	ID, Source, Type, Subject, Severity string
	Time                                time.Time
	Project                             event.Project
	Data                                map[string]any
	Changes                             []event.Change
}

// Phase is a phase of the project: its steps and their combined status,
// FAILED if any failed, else RUNNING, MONITORING or SUSPEND if any is,
// FINISHED or INIT when all are, RUNNING for a mix of both, "" without steps.
type Phase struct {
	Name     string
	Status   string
	Progress int // the mean progress of its steps
	Steps    []oms.Step
}

// eventOf views an event for expressions.
func eventOf(e *event.Event) Event {
	return Event{ID: e.ID, Source: e.Source, Type: e.Type, Subject: e.Subject,
		Severity: string(e.Severity), Time: e.Time, Project: e.Data.Project,
		Data: e.Data.Fields, Changes: e.Data.Changes}
}

// NewEnv builds the environment for one snapshot of a project: cur is the
// new snapshot's view, prev the previous one's (nil on first sight), now the
// evaluation clock. Events are added per evaluation with WithEvent.
func NewEnv(cur, prev *oms.Project, now time.Time) *Env {
	if cur == nil {
		cur = &oms.Project{}
	}
	if prev == nil {
		prev = &oms.Project{}
	}
	return &Env{
		Project: cur, Prev: prev,
		Step:  func(name string) oms.Step { s, _ := cur.Step(name); return s },
		Phase: func(name string) Phase { return phaseOf(cur, oms.Phase(name)) },
		Now:   func() time.Time { return now },
		Since: func(t time.Time) time.Duration { return sinceOrZero(now, t) },
		Until: func(t time.Time) time.Duration { return -sinceOrZero(now, t) },
	}
}

// WithEvent returns a copy of the environment that also sees e.
func (env *Env) WithEvent(e *event.Event) *Env {
	c := *env
	c.Event = eventOf(e)
	return &c
}

func sinceOrZero(now, t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return now.Sub(t)
}

func phaseOf(p *oms.Project, name oms.Phase) Phase {
	steps := p.StepsIn(name)
	ph := Phase{Name: string(name), Steps: steps}
	if len(steps) == 0 {
		return ph
	}
	count := map[string]int{}
	total := 0
	for _, s := range steps {
		count[strings.ToUpper(s.Status)]++
		total += s.Progress
	}
	ph.Progress = total / len(steps)
	for _, st := range []string{"FAILED", "RUNNING", "MONITORING", "SUSPEND"} {
		if count[st] > 0 {
			ph.Status = st
			return ph
		}
	}
	switch len(steps) {
	case count["FINISHED"]:
		ph.Status = "FINISHED"
	case count["INIT"]:
		ph.Status = "INIT"
	default:
		ph.Status = "RUNNING"
	}
	return ph
}

// program is a compiled expression with where it was written.
type program struct {
	prog  *vm.Program
	text  string
	where string
	path  string
}

// exprKind says what an expression must give.
type exprKind int

const (
	wantBool   exprKind = iota // when, expr, source_when
	wantString                 // once_per
	wantAny                    // value
)

// compile compiles an expression once, at construction, against Env, so a
// typo is an error with the expression's position rather than a surprise at
// run time.
func compile(x Expr, kind exprKind, p *problems) *program {
	opts := []expr.Option{expr.Env(Env{}), expr.Patch(namedStrings{})}
	switch kind {
	case wantBool:
		opts = append(opts, expr.AsBool())
	case wantString:
		opts = append(opts, expr.AsKind(reflect.String))
	}
	prog, err := expr.Compile(x.Text, opts...)
	if err != nil {
		p.add(x.Where, x.Path, "%s", describeCompileError(x.Text, err))
		return nil
	}
	return &program{prog: prog, text: x.Text, where: x.Where, path: x.Path}
}

// describeCompileError turns expr's multi-line error (message, snippet,
// caret) into one line that says where in the expression it is.
func describeCompileError(text string, err error) string {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return "the expression does not compile: " + firstLine(err.Error())
	}
	msg := fe.Message
	if msg == "" {
		msg = firstLine(err.Error())
	}
	if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
		if s := suggest.Closest(name, envNames()); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
	}
	if typ, field, ok := cutNoField(msg); ok {
		if s := suggest.Closest(field, memberNames(typ)); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
	}
	if strings.Contains(text, "\n") || fe.Line > 1 {
		return fmt.Sprintf("the expression does not compile: %s (line %d, column %d of the expression)", msg, fe.Line, fe.Column+1)
	}
	if fe.Line == 0 {
		return "the expression does not compile: " + msg
	}
	return fmt.Sprintf("the expression does not compile: %s (column %d of the expression)", msg, fe.Column+1)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// run evaluates the program against env.
func (pr *program) run(env *Env) (any, error) {
	out, err := expr.Run(pr.prog, env)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %s", pr.where, pr.path, firstLine(err.Error()))
	}
	return out, nil
}

// runBool evaluates a boolean program; an error counts as false and is
// returned for the caller to report.
func (pr *program) runBool(env *Env) (bool, error) {
	out, err := pr.run(env)
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}

// namedStrings is an expr patch: a value of a named string type with no
// methods (oms.Phase) is converted to string, so step("X").Phase == "incr"
// type-checks and compares as written.
type namedStrings struct{}

var stringType = reflect.TypeFor[string]()

// Visit wraps such values in expr's string() builtin.
func (namedStrings) Visit(n *ast.Node) {
	t := (*n).Type()
	if t == nil || t.Kind() != reflect.String || t == stringType || t.NumMethod() > 0 {
		return
	}
	ast.Patch(n, &ast.BuiltinNode{Name: "string", Arguments: []ast.Node{*n}})
}

// projectOf builds the little of a Project view an event carries, for
// routing an event without its snapshot (rules test).
func projectOf(e *event.Event) *oms.Project {
	p := e.Data.Project
	out := &oms.Project{ID: p.ID, Name: p.Name, Type: p.Type, Status: p.Status,
		Importance: p.Importance, Owner: p.Owner}
	for _, l := range p.Labels {
		out.Labels = append(out.Labels, oms.Label{Name: l})
	}
	return out
}

// cutNoField reads expr's "type T has no field F".
func cutNoField(msg string) (typ, field string, ok bool) {
	rest, ok := strings.CutPrefix(msg, "type ")
	if !ok {
		return "", "", false
	}
	typ, field, ok = strings.Cut(rest, " has no field ")
	return typ, field, ok && !strings.ContainsAny(field, " ()")
}

// memberNames are the fields and methods of the type named typ (as expr
// names it: oms.Project) among the types Env reaches, for "did you mean".
func memberNames(typ string) []string {
	seen := map[reflect.Type]bool{}
	var found []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if seen[t] || t.Kind() != reflect.Struct {
			return
		}
		seen[t] = true
		if t.String() == typ {
			for i := range t.NumField() {
				found = append(found, t.Field(i).Name)
			}
			pt := reflect.PointerTo(t)
			for i := range pt.NumMethod() {
				found = append(found, pt.Method(i).Name)
			}
		}
		for i := range t.NumField() {
			walk(t.Field(i).Type)
		}
	}
	// Func fields (step, phase) hide what they return from the walk.
	for _, t := range []reflect.Type{reflect.TypeFor[Env](), reflect.TypeFor[Phase](), reflect.TypeFor[oms.Step]()} {
		walk(t)
	}
	return found
}

// envNames are the names expressions can use, for "did you mean".
func envNames() []string {
	return []string{"event", "project", "prev", "step", "phase", "now", "since", "until", "duration"}
}
