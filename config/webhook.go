package config

import "github.com/omswatch/omswatch/sinks/webhook"

// Webhook configures the webhook targets: an HTTP POST of each event's
// CloudEvents JSON, the way to reach DingTalk, Teams, PagerDuty relays and
// one's own services.
type Webhook struct {
	Targets map[string]webhook.Config `yaml:"targets"`
}

func (w *Webhook) validate(v *validator) {
	for _, name := range sortedKeys(w.Targets) {
		v.component(joinPath("webhook.targets", name), w.Targets[name].Validate())
	}
}
