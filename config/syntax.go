package config

import (
	"fmt"
	"strings"
	"text/template/parse"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"
)

// cronParser accepts what the poller's scheduler accepts: five fields, or
// six with seconds first, and descriptors (@every 30s, @hourly, ...). A
// spec may start with CRON_TZ=Zone to use a zone of its own.
func cronParser() cron.Parser {
	return cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// checkSpec validates a schedule spec: that cron parses it, and that it
// means what it says (no step beyond its field, a date that exists).
// robfig/cron v3.0.1 panics on some inputs (a lone "TZ=0" or
// "CRON_TZ=UTC"), so the parse runs under recover and a panic becomes an
// ordinary error.
func (v *validator) checkSpec(path, spec string) {
	sched, err := parseSpec(spec)
	if err != nil {
		msg := printable(err.Error()) // cron echoes the spec, tabs and all
		v.errorf(path, "%q is not a schedule: %s; want a cron spec (\"*/30 * * * * *\" with seconds, \"*/5 * * * *\" without) or a descriptor (@every 30s, @hourly, @daily)", spec, msg)
		return
	}
	if msg := specSteps(spec); msg != "" {
		v.errorf(path, "%q: %s", printable(spec), msg)
		return
	}
	if neverFires(sched) {
		v.errorf(path, "%q never fires: no date has the day of the month it names in the months it names (e.g. February 31); fix the day or the month", printable(spec))
	}
}

// printable escapes control characters (a tab in a spec) so that a message
// stays on one line and shows what is there.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.NewReplacer("\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(s))
}

func parseSpec(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the cron parser failed on it (%v)", r)
		}
	}()
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("empty spec")
	}
	if (strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")) && !strings.Contains(spec, " ") {
		return nil, fmt.Errorf("a time zone prefix must be followed by a space and the schedule, e.g. CRON_TZ=Asia/Shanghai 0 9 * * *")
	}
	if every, ok := strings.CutPrefix(spec, "@every "); ok {
		// cron rounds @every down to whole seconds, and anything under a
		// second up to one: say so rather than run at another interval.
		d, perr := time.ParseDuration(strings.TrimSpace(every))
		if perr == nil && (d < time.Second || d%time.Second != 0) {
			return nil, fmt.Errorf("@every must be a whole number of seconds, at least 1s")
		}
	}
	return cronParser().Parse(spec)
}

// checkTemplate checks a Go text/template's syntax. Functions are not
// checked (SkipFuncCheck): the sink that runs the template brings its own.
func (v *validator) checkTemplate(path string, t Template) {
	tree := parse.New("template")
	tree.Mode = parse.SkipFuncCheck
	_, err := tree.Parse(t.Text, "", "", map[string]*parse.Tree{})
	if err == nil {
		return
	}
	msg := strings.TrimPrefix(err.Error(), "template: template:")
	if line, rest, ok := strings.Cut(msg, ":"); ok && !strings.Contains(t.Text, "\n") {
		_ = line // a one-line template: its line number says nothing
		msg = rest
	} else if ok {
		msg = "template line " + line + ":" + rest
	}
	v.errorf(path, "not a valid template: %s", strings.TrimSpace(msg))
}
