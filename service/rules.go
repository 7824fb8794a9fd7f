package service

import (
	"errors"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/sinks"
)

// rulesConfig maps the rules section onto the engine's configuration,
// keeping where each route, condition, inhibition and expression was
// written so the engine's errors name the file, line and column.
func rulesConfig(cfg *config.Config) rules.Config {
	r := cfg.Rules
	out := rules.Config{DefaultTo: r.DefaultTo, RepeatInterval: r.RepeatInterval.Duration(), Targets: []string{}}
	for _, t := range cfg.Targets() {
		out.Targets = append(out.Targets, t.Name)
	}
	for _, rt := range r.Routes {
		p := rt.Path()
		out.Routes = append(out.Routes, rules.Route{
			Name: rt.Name, Match: rt.Match, Severity: rt.Severity, To: rt.To,
			Continue: rt.Continue, Drop: rt.Drop,
			When: ruleExpr(rt.When, p+".when"), OncePer: ruleExpr(rt.OncePer, p+".once_per"),
			Where: rt.Pos.String(), MatchWhere: rt.MatchPos.String(), Path: p,
		})
	}
	for _, c := range r.Conditions {
		p := c.Path()
		out.Conditions = append(out.Conditions, rules.Condition{
			Name: c.Name, While: ruleExpr(c.While, p+".while"), Expr: ruleExpr(c.Expr, p+".expr"), Value: ruleExpr(c.Value, p+".value"),
			For: c.For.Duration(), KeepFiringFor: c.KeepFiringFor.Duration(), Severity: c.Severity,
			Labels: c.Labels, Where: c.Pos.String(), Path: p,
		})
	}
	for _, in := range r.Inhibit {
		p := in.Path()
		out.Inhibit = append(out.Inhibit, rules.Inhibit{
			Name: in.Name, SourceConditions: in.SourceConditions, SourceWhen: ruleExpr(in.SourceWhen, p+".source_when"),
			Target: in.Target, Where: in.Pos.String(), TargetWhere: in.TargetPos.String(), Path: p,
		})
	}
	return out
}

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

func ruleExpr(e config.Expr, path string) rules.Expr {
	return rules.Expr{Text: e.Text, Where: e.Pos.String(), Path: path}
}

// BuildRules compiles the configuration's rules.
func BuildRules(cfg *config.Config) (*rules.Engine, error) {
	return rules.New(rulesConfig(cfg))
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
