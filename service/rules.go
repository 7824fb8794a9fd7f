package service

import (
	"errors"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// NewGrouping is the grouping the configuration's grouped targets use
// (group_by, group_wait, rate limits), for dry runs on a clock of one's
// own.
func NewGrouping(cfg *config.Config) *sinks.Grouping { return sinks.NewGrouping(groupOptions(cfg)) }

// groupOptions are how grouped targets group: the rules section's
// group_by, group_wait and rate_limits, which delivery applies.
func groupOptions(cfg *config.Config) sinks.GroupOptions {
	r := cfg.Rules
	o := sinks.GroupOptions{By: r.GroupBy, Wait: r.GroupWait.Duration()}
	if len(r.RateLimits) > 0 {
		o.RateLimits = map[string]sinks.RateLimit{}
		for name, rl := range r.RateLimits {
			o.RateLimits[name] = sinks.RateLimit{Count: rl.Rate.Count, Per: rl.Rate.Per, Burst: rl.Burst}
		}
	}
	return o
}

// BuildRules compiles the configuration's rules.
func BuildRules(cfg *config.Config) (*rules.Engine, error) {
	return rules.New(cfg.RulesConfig())
}

// LoadRules loads a configuration file and compiles its rules. Its error is
// marked ErrInvalid; Problems lists what is wrong, one problem a line.
func LoadRules(file string) (*config.Config, *rules.Engine, error) {
	if file == "" {
		return nil, nil, Invalidf("--config FILE is required")
	}
	cfg, err := config.LoadFile(file)
	if err != nil {
		return nil, nil, Invalid(err)
	}
	eng, err := BuildRules(cfg)
	if err != nil {
		return nil, nil, Invalid(err)
	}
	return cfg, eng, nil
}

// Problems lists the problems an error of LoadRules (or config.LoadFile)
// holds, each with its file:line:column; none when err is not such a list
// (a file that cannot be read).
func Problems(err error) []string {
	var cfgErrs config.Errors
	var ruleErrs rules.Errors
	var out []string
	switch {
	case errors.As(err, &cfgErrs):
		for _, p := range cfgErrs {
			out = append(out, p.Error())
		}
	case errors.As(err, &ruleErrs):
		for _, p := range ruleErrs {
			out = append(out, p.Error())
		}
	}
	return out
}
