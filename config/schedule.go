package config

import (
	"fmt"
	"time"

	// Embedded so timezone names resolve on hosts and images without a
	// zoneinfo database (scratch and distroless containers).
	_ "time/tzdata"
)

// Schedule says when projects are polled. Specs are cron specs with an
// optional seconds field or descriptors (@every 30s, @hourly); they run in
// Timezone (UTC unless the user names a zone, so DST never skips or repeats
// a poll). A project takes the spec of the first group that matches it,
// else Default.
type Schedule struct {
	Default          string          `yaml:"default"`
	Timezone         string          `yaml:"timezone"`
	Jitter           Duration        `yaml:"jitter"`
	FailureThreshold int             `yaml:"failure_threshold"`
	Groups           []ScheduleGroup `yaml:"groups"`
}

// ScheduleGroup gives the projects that Match their own schedule, such as
// a tight one for HIGH importance.
type ScheduleGroup struct {
	Name  string     `yaml:"name"`
	Match GroupMatch `yaml:"match"`
	Spec  string     `yaml:"spec"`
}

// GroupMatch selects projects: a project matches when it matches every
// criterion given (importance, any of the label patterns, any of the
// project patterns). Patterns are globs, or regular expressions after ~.
type GroupMatch struct {
	Importance []string `yaml:"importance"`
	Labels     []string `yaml:"labels"`
	Projects   []string `yaml:"projects"`
}

// Location returns the schedule's time zone. Load has checked the name.
func (s Schedule) Location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func (s *Schedule) validate(v *validator) {
	v.checkSpec("schedule.default", s.Default)
	if _, err := time.LoadLocation(s.Timezone); err != nil {
		v.errorf("schedule.timezone", "%q is not a time zone; want UTC or an IANA name such as Asia/Shanghai", s.Timezone)
	}
	if s.FailureThreshold < 1 {
		v.errorf("schedule.failure_threshold", "must be at least 1 (failed polls in a row before oms.poll.failing)")
	}
	names := map[string]int{}
	for i, g := range s.Groups {
		p := fmt.Sprintf("schedule.groups[%d]", i)
		switch {
		case g.Name == "":
			v.errorf(p+".name", "is required")
		case v.name(p+".name", "group", g.Name, false):
			if j, dup := names[g.Name]; dup {
				v.errorf(p+".name", "%q is already the name of group %d", g.Name, j)
			}
			names[g.Name] = i
		}
		if g.Spec == "" {
			v.errorf(p+".spec", "is required")
		} else {
			v.checkSpec(p+".spec", g.Spec)
		}
		g.Match.validate(v, p+".match")
	}
}

func (m *GroupMatch) validate(v *validator, path string) {
	if len(m.Importance)+len(m.Labels)+len(m.Projects) == 0 {
		v.errorf(path, "is empty, so the group would take every project; give importance, labels or projects (or change schedule.default)")
	}
	v.eachOneOf(path+".importance", m.Importance, importances()...)
	for i, l := range m.Labels {
		v.pattern(fmt.Sprintf("%s.labels[%d]", path, i), l)
	}
	for i, p := range m.Projects {
		v.pattern(fmt.Sprintf("%s.projects[%d]", path, i), p)
	}
}
