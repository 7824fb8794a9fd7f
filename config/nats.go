package config

import (
	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/sinks/natssink"
)

// NATS is the nats section: which server holds the store and the audit
// trail (natsembed's settings) and the NATS targets events are published
// to.
type NATS struct {
	natsembed.Config `yaml:",inline"`

	Targets map[string]natssink.Config `yaml:"targets"`
}

func (n *NATS) validate(v *validator) {
	v.component("nats", n.Config.Validate())
	for _, name := range sortedKeys(n.Targets) {
		v.component(joinPath("nats.targets", name), n.Targets[name].Validate())
	}
}
