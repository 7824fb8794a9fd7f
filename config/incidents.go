package config

import (
	"fmt"
	"path"
	"strings"
)

// Incidents turns each project's problems into incidents (package
// incident): one lifecycle per problem, kept in Bucket, resolved after
// ResolveHold polls without the problem; Runbooks name what to do, then,
// unless ShippedRunbooks is false, the runbooks omswatch ships
// (incident.Shipped). Runbooks apply to incidents and to the Slack
// messages of problem events, whether incidents are enabled or not.
type Incidents struct {
	Enabled         bool      `yaml:"enabled"`
	ResolveHold     int       `yaml:"resolve_hold"`
	ResolveAfter    Duration  `yaml:"resolve_after"`
	Bucket          string    `yaml:"bucket"`
	Runbooks        []Runbook `yaml:"runbooks"`
	ShippedRunbooks bool      `yaml:"shipped_runbooks"`
	Correlate       Correlate `yaml:"correlate"`
	Remind          Remind    `yaml:"remind"`
	Escalate        Escalate  `yaml:"escalate"`
}

// Remind is how often a firing incident nobody acknowledged is announced
// again, by its severity; 0 never.
type Remind struct {
	Critical Duration `yaml:"critical"`
	Warning  Duration `yaml:"warning"`
}

// Escalate sends an incident that fired unacknowledged for After (0:
// never) to the targets To as well, from then on.
type Escalate struct {
	After Duration `yaml:"after"`
	To    []string `yaml:"to"`
}

// Correlate makes the incidents of several projects that open within
// Window with the same cause one fleet incident; By names what counts as
// the same cause: error_code, endpoint, condition. An empty By turns
// correlation off.
type Correlate struct {
	Window Duration `yaml:"window"`
	By     []string `yaml:"by"`
}

// Runbook maps incidents and events to a link or a short text: Match is a
// glob (path.Match) over the error code (a step's or a poll's), the OMS
// alarm kind (oms_sync_delay), the cause (condition:RULE, step:STEP,
// project:FAILED, poll) and the event type (oms.worker.expired); the first
// entry that matches is the runbook.
type Runbook struct {
	Match string `yaml:"match"`
	Link  string `yaml:"link"`
}

// maxResolveHold bounds resolve_hold: an incident that waits more polls
// than this to resolve is one nobody trusts to resolve.
const maxResolveHold = 100

func (in *Incidents) validate(v *validator, c *Config, targets map[string]string) {
	const p = "incidents"
	if in.ResolveHold < 1 || in.ResolveHold > maxResolveHold {
		v.errorf(p+".resolve_hold", "%d polls; want 1 to %d (1 resolves at the first poll without the problem)", in.ResolveHold, maxResolveHold)
	}
	if in.ResolveAfter < 0 {
		v.errorf(p+".resolve_after", "must not be negative (0: resolve_hold polls alone)")
	}
	if !bucketPattern().MatchString(in.Bucket) {
		v.errorf(p+".bucket", "%q is not a bucket name; use letters, digits, '_' and '-'", in.Bucket)
	}
	for _, other := range []struct{ path, name string }{
		{"store.bucket", c.Store.Bucket}, {"rules.state_bucket", c.Rules.StateBucket},
		{"rules.silence_bucket", c.Rules.SilenceBucket}, {"ha.bucket", c.HA.Bucket},
	} {
		if in.Bucket == other.name {
			v.errorf(p+".bucket", "%q is also %s; incidents need a bucket of their own", in.Bucket, other.path)
		}
	}
	if in.Correlate.Window < 0 {
		v.errorf(p+".correlate.window", "must not be negative")
	}
	for i, b := range in.Correlate.By {
		v.oneOf(fmt.Sprintf("%s.correlate.by[%d]", p, i), b, "error_code", "endpoint", "condition")
	}
	if in.Escalate.After > 0 && len(in.Escalate.To) == 0 {
		v.errorf(p+".escalate.to", "is required with escalate.after: the targets an incident nobody took goes to")
	}
	for i, name := range in.Escalate.To {
		if _, ok := targets[name]; !ok {
			v.errorf(fmt.Sprintf("%s.escalate.to[%d]", p, i), "unknown target %q; defined targets: %s", name, strings.Join(sortedKeys(targets), ", "))
		}
	}
	for i, rb := range in.Runbooks {
		at := fmt.Sprintf("%s.runbooks[%d]", p, i)
		if rb.Match == "" {
			v.errorf(at+".match", "is required: an error code glob (CM-*), an alarm kind (oms_sync_delay), a cause (condition:RULE, step:STEP, poll) or an event type (oms.worker.expired)")
		} else if _, err := path.Match(rb.Match, ""); err != nil {
			v.errorf(at+".match", "%q is not a valid glob (use * and ?)", rb.Match)
		}
		if rb.Link == "" {
			v.errorf(at+".link", "is required: a URL or a short text saying what to do")
		}
	}
}
