package config

import (
	"cmp"
	"maps"
	"slices"
)

// Target kinds. Target names share one namespace across kinds, because a
// route's `to` names a target without saying its kind.
const (
	KindLog     = "log"
	KindNATS    = "nats"
	KindSlack   = "slack"
	KindWebhook = "webhook"
	// KindAlertmanager and KindPagerDuty get incidents only.
	KindAlertmanager = "alertmanager"
	KindPagerDuty    = "pagerduty"
)

// LogTarget is the built-in target that writes events as JSON lines on
// stdout. It needs no configuration and cannot be redefined.
const LogTarget = "log"

// Target is a destination routes can name.
type Target struct {
	Name string
	Kind string
}

// Targets lists every target routes may name: the built-in log target and
// the configured NATS, Slack, webhook, Alertmanager and PagerDuty targets, sorted by name.
func (c *Config) Targets() []Target {
	out := []Target{{Name: LogTarget, Kind: KindLog}}
	for name := range c.NATS.Targets {
		out = append(out, Target{Name: name, Kind: KindNATS})
	}
	for name := range c.Slack.Targets {
		out = append(out, Target{Name: name, Kind: KindSlack})
	}
	for name := range c.Webhook.Targets {
		out = append(out, Target{Name: name, Kind: KindWebhook})
	}
	for name := range c.Alertmanager.Targets {
		out = append(out, Target{Name: name, Kind: KindAlertmanager})
	}
	for name := range c.PagerDuty.Targets {
		out = append(out, Target{Name: name, Kind: KindPagerDuty})
	}
	slices.SortFunc(out, func(a, b Target) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// targets checks target names (well formed, not "log", not used by two
// kinds) and returns the kind of each name for the rules' cross-references.
func (c *Config) targets(v *validator) map[string]string {
	kinds := map[string]string{LogTarget: KindLog}
	sections := []struct {
		kind  string
		names []string
	}{
		{KindNATS, sortedKeys(c.NATS.Targets)},
		{KindSlack, sortedKeys(c.Slack.Targets)},
		{KindWebhook, sortedKeys(c.Webhook.Targets)},
		{KindAlertmanager, sortedKeys(c.Alertmanager.Targets)},
		{KindPagerDuty, sortedKeys(c.PagerDuty.Targets)},
	}
	for _, s := range sections {
		for _, name := range s.names {
			p := joinPath(s.kind+".targets", name)
			if !v.name(p, "target", name, true) {
				continue
			}
			switch other, taken := kinds[name]; {
			case name == LogTarget:
				v.keyErrorf(p, "%q is the built-in log target; choose another name", name)
			case taken:
				v.keyErrorf(p, "target name %q is also used by %s.targets; target names must be unique across nats, slack, webhook, alertmanager and pagerduty", name, other)
			default:
				kinds[name] = s.kind
			}
		}
	}
	return kinds
}

// sortedKeys returns a map's keys in order, so checks over maps report in a
// stable order (the final sort is by position anyway).
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
