package config

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/omswatch/omswatch/internal/suggest"
	"github.com/omswatch/omswatch/rules"
)

// Inhibit mutes a project's events that Target matches while its source
// holds for that project: any of SourceConditions (condition names, globs)
// firing, and/or SourceWhen (an expression over project and prev) true. A
// FAILED project muting its delay conditions is the typical use.
type Inhibit struct {
	Name             string      `yaml:"name"`
	SourceConditions []string    `yaml:"source_conditions"`
	SourceWhen       Expr        `yaml:"source_when"`
	Target           rules.Match `yaml:"target"`

	// Pos is where the inhibition starts, TargetPos where its target is.
	Pos       Position `yaml:"-"`
	TargetPos Position `yaml:"-"`

	path string
}

// RateLimit bounds the notifications one target gets: Rate on average,
// Burst at once after a quiet spell. Notifications over the limit wait for
// their turn (taking in the events of their group that arrive meanwhile).
type RateLimit struct {
	Rate  Rate `yaml:"rate"`
	Burst int  `yaml:"burst"`
}

// validateNoise checks inhibitions, rate limits, grouping and the rules'
// buckets. condNames maps each condition name to its path.
func (r *Rules) validateNoise(v *validator, targets map[string]string, condNames map[string]string) {
	names := map[string]string{}
	for i := range r.Inhibit {
		in := &r.Inhibit[i]
		in.validate(v, condNames)
		if in.Name == "" {
			continue
		}
		if first, dup := names[in.Name]; dup {
			v.errorf(in.path+".name", "%q is already the name of the inhibition at %s", in.Name, v.idx.valuePos(first))
		}
		names[in.Name] = in.path
	}
	known := sortedKeys(targets)
	for _, name := range sortedKeys(r.RateLimits) {
		p := joinPath("rules.rate_limits", name)
		if _, ok := targets[name]; !ok {
			msg := fmt.Sprintf("unknown target %q; defined targets: %s", name, strings.Join(known, ", "))
			if s := suggest.Closest(name, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			v.keyErrorf(p, "%s", msg)
		}
		rl := r.RateLimits[name]
		if !v.failed(p+".rate") && rl.Rate.Count <= 0 {
			v.errorf(p+".rate", "is required: notifications per s, m or h, e.g. 20/h")
		}
		if rl.Burst < 1 {
			v.errorf(p+".burst", "%d is too small; want 1 or more", rl.Burst)
		}
	}
	v.eachOneOf("rules.group_by", r.GroupBy, groupByKeys()...)
	v.positive("rules.repeat_interval", r.RepeatInterval > 0)
	for _, b := range []struct{ key, value string }{{"state_bucket", r.StateBucket}, {"silence_bucket", r.SilenceBucket}} {
		if !bucketPattern().MatchString(b.value) {
			v.errorf("rules."+b.key, "%q is not a bucket name; use letters, digits, '_' and '-'", b.value)
		}
	}
	if r.StateBucket == r.SilenceBucket && r.StateBucket != "" {
		v.errorf("rules.silence_bucket", "%q is also the state_bucket; use two buckets", r.SilenceBucket)
	}
}

func (in *Inhibit) validate(v *validator, condNames map[string]string) {
	p := in.path
	if in.Name == "" {
		v.errorf(p+".name", "is required (muted events say which inhibition muted them)")
	} else {
		v.name(p+".name", "inhibition", in.Name, false)
	}
	hasWhen := strings.TrimSpace(in.SourceWhen.Text) != ""
	if v.set(p+".source_when") && !hasWhen {
		v.errorf(p+".source_when", "is empty; leave it out or write an expression over project")
	}
	if len(in.SourceConditions) == 0 && !hasWhen && !v.set(p+".source_when") {
		v.errorf(p, "needs source_conditions (conditions whose firing inhibits) or source_when (an expression over project), or both")
	}
	for i, pat := range in.SourceConditions {
		at := fmt.Sprintf("%s.source_conditions[%d]", p, i)
		v.pattern(at, pat)
		if pat != "" && !matchesAnyName(pat, sortedKeys(condNames)) {
			v.errorf(at, "%q matches no condition; conditions: %s", pat, strings.Join(sortedKeys(condNames), ", "))
		}
	}
	if !v.set(p + ".target") {
		v.errorf(p, "needs target: a match of the events it mutes")
	}
	validateMatch(v, p+".target", in.Target)
}

// matchesAnyName reports whether a glob or ~regex (already checked by
// v.pattern) matches one of names. An invalid pattern counts as matching,
// so it is reported once.
func matchesAnyName(pat string, names []string) bool {
	if re, ok := strings.CutPrefix(pat, "~"); ok {
		rx, err := regexp.Compile(re)
		if err != nil {
			return true
		}
		for _, n := range names {
			if rx.MatchString(n) {
				return true
			}
		}
		return false
	}
	for _, n := range names {
		if ok, err := path.Match(pat, n); ok || err != nil {
			return true
		}
	}
	return false
}
