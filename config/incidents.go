package config

import (
	"fmt"
	"path"
)

// Incidents turns each project's problems into incidents (package
// incident): one lifecycle per problem, kept in Bucket, resolved after
// ResolveHold polls without the problem; Runbooks name what to do.
type Incidents struct {
	Enabled     bool      `yaml:"enabled"`
	ResolveHold int       `yaml:"resolve_hold"`
	Bucket      string    `yaml:"bucket"`
	Runbooks    []Runbook `yaml:"runbooks"`
	Correlate   Correlate `yaml:"correlate"`
}

// Correlate makes the incidents of several projects that open within
// Window with the same cause one fleet incident; By names what counts as
// the same cause: error_code, endpoint, condition. An empty By turns
// correlation off.
type Correlate struct {
	Window Duration `yaml:"window"`
	By     []string `yaml:"by"`
}

// Runbook maps incidents to a link or a short text: Match is a glob
// (path.Match) over the incident's error code and its cause
// (condition:RULE, step:STEP, project:FAILED, poll); the first entry that
// matches is the incident's runbook.
type Runbook struct {
	Match string `yaml:"match"`
	Link  string `yaml:"link"`
}

// maxResolveHold bounds resolve_hold: an incident that waits more polls
// than this to resolve is one nobody trusts to resolve.
const maxResolveHold = 100

func (in *Incidents) validate(v *validator, c *Config) {
	const p = "incidents"
	if in.ResolveHold < 1 || in.ResolveHold > maxResolveHold {
		v.errorf(p+".resolve_hold", "%d polls; want 1 to %d (1 resolves at the first poll without the problem)", in.ResolveHold, maxResolveHold)
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
	for i, rb := range in.Runbooks {
		at := fmt.Sprintf("%s.runbooks[%d]", p, i)
		if rb.Match == "" {
			v.errorf(at+".match", "is required: an error code glob (OMS-11*) or a cause (condition:RULE, step:STEP, poll)")
		} else if _, err := path.Match(rb.Match, ""); err != nil {
			v.errorf(at+".match", "%q is not a valid glob (use * and ?)", rb.Match)
		}
		if rb.Link == "" {
			v.errorf(at+".link", "is required: a URL or a short text saying what to do")
		}
	}
}
