package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/omswatch/omswatch/internal/suggest"
)

// Heartbeat is omswatch's dead man's switch: every Every, while polls
// succeed, an oms.watch.heartbeat event goes to the To targets, so a
// watcher outside omswatch notices when the beats stop (omswatch down, or
// every poll failing). No To: no heartbeat.
type Heartbeat struct {
	To    []string `yaml:"to"`
	Every Duration `yaml:"every"`
}

// minHeartbeat keeps a heartbeat from flooding its targets and the audit
// trail (each beat is an event kept for store.retention.max_age).
const minHeartbeat = 10 * time.Second

// validateSelfMonitoring checks the heartbeat and the fallback target of
// dead letters against the targets.
func (c *Config) validateSelfMonitoring(v *validator, targets map[string]string) {
	checkTargetRefs(v, "heartbeat.to", c.Heartbeat.To, targets)
	if c.Heartbeat.Every < Duration(minHeartbeat) {
		v.errorf("heartbeat.every", "%s is too short; want at least %s (each beat is an event in the audit trail)", c.Heartbeat.Every, minHeartbeat)
	}
	if to := c.Store.Delivery.FallbackTo; to != "" {
		if _, ok := targets[to]; !ok {
			known := sortedKeys(targets)
			msg := fmt.Sprintf("unknown target %q; defined targets: %s", to, strings.Join(known, ", "))
			if s := suggest.Closest(to, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			v.errorf("store.delivery.fallback_to", "%s", msg)
		}
	}
}
