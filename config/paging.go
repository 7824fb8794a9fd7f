package config

import (
	"github.com/omswatch/omswatch/sinks/alertmanager"
	"github.com/omswatch/omswatch/sinks/pagerduty"
)

// Alertmanager configures the Prometheus Alertmanager targets: each
// incident is an alert, posted while it fires and when it resolves.
type Alertmanager struct {
	Targets map[string]alertmanager.Config `yaml:"targets"`
}

func (a *Alertmanager) validate(v *validator) {
	for _, name := range sortedKeys(a.Targets) {
		v.component(joinPath("alertmanager.targets", name), a.Targets[name].Validate())
	}
}

// PagerDuty configures the PagerDuty targets (Events API v2): each
// incident is triggered, acknowledged and resolved with its id as
// dedup_key.
type PagerDuty struct {
	Targets map[string]pagerduty.Config `yaml:"targets"`
}

func (p *PagerDuty) validate(v *validator) {
	for _, name := range sortedKeys(p.Targets) {
		v.component(joinPath("pagerduty.targets", name), p.Targets[name].Validate())
	}
}
