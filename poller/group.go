package poller

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/omswatch/omswatch/event"
)

// specParser reads schedule specs as config does: an optional seconds
// field, and descriptors such as @every 30s.
var specParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSpec parses a schedule spec. robfig/cron panics on some inputs
// ("TZ=0"); that becomes an error here.
func ParseSpec(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("schedule %q: the cron parser failed on it (%v)", spec, r)
		}
	}()
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("schedule: empty spec")
	}
	s, err = specParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// group is a compiled schedule group.
type group struct {
	name     string
	schedule cron.Schedule
	match    func(event.Project) bool // nil: every project (the default group)
}

// compileGroups compiles the configured groups and appends the default.
func compileGroups(s Schedule) ([]group, error) {
	var out []group
	for i, g := range s.Groups {
		sch, err := ParseSpec(g.Spec)
		if err != nil {
			return nil, fmt.Errorf("group %d %q: %w", i+1, g.Name, err)
		}
		m, err := compileMatch(g.Match)
		if err != nil {
			return nil, fmt.Errorf("group %d %q: %w", i+1, g.Name, err)
		}
		out = append(out, group{name: g.Name, schedule: sch, match: m})
	}
	sch, err := ParseSpec(s.Default)
	if err != nil {
		return nil, fmt.Errorf("default schedule: %w", err)
	}
	return append(out, group{name: "default", schedule: sch}), nil
}

// groupOf is the index of the first group whose match takes p.
func groupOf(groups []group, p event.Project) int {
	for i, g := range groups {
		if g.match == nil || g.match(p) {
			return i
		}
	}
	return len(groups) - 1
}

func compileMatch(m GroupMatch) (func(event.Project) bool, error) {
	imp := m.Importance
	labels, err := compilePatterns(m.Labels)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	ids, err := compilePatterns(m.Projects)
	if err != nil {
		return nil, fmt.Errorf("projects: %w", err)
	}
	return func(p event.Project) bool {
		if len(imp) > 0 && !anyEqualFold(imp, p.Importance) {
			return false
		}
		if len(labels) > 0 && !anyMatch(labels, p.Labels...) {
			return false
		}
		return len(ids) == 0 || anyMatch(ids, p.ID)
	}, nil
}

// compilePatterns turns globs and ~regexes into matchers.
func compilePatterns(pats []string) ([]func(string) bool, error) {
	out := make([]func(string) bool, 0, len(pats))
	for _, p := range pats {
		if re, ok := strings.CutPrefix(p, "~"); ok {
			rx, err := regexp.Compile(re)
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %w", p, err)
			}
			out = append(out, rx.MatchString)
			continue
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		out = append(out, func(s string) bool { ok, _ := path.Match(p, s); return ok })
	}
	return out, nil
}

func anyMatch(ms []func(string) bool, values ...string) bool {
	for _, v := range values {
		for _, m := range ms {
			if m(v) {
				return true
			}
		}
	}
	return false
}

func anyEqualFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
