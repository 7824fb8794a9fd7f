package config

import (
	"fmt"
	"time"
)

// Digest is the fleet summary `run` posts to the To targets on the cron
// schedule Cron, read in Timezone (docs/INCIDENTS.md, "Digest"): projects
// by status and phase, open incidents, the top delays with their catch-up
// ETA, the incidents opened and resolved since the last digest, and the
// projects with no change for QuietAfter. No To: no digest.
type Digest struct {
	To         []string `yaml:"to"`
	Cron       string   `yaml:"cron"`
	Timezone   string   `yaml:"timezone"`
	QuietAfter Duration `yaml:"quiet_after"`
}

// Location returns the digest's time zone. Load has checked the name.
func (d Digest) Location() *time.Location {
	loc, err := time.LoadLocation(d.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// digestKinds are the kinds of target a digest can go to: a summary is
// no incident, so Alertmanager and PagerDuty, which take incidents only,
// would skip it.
var digestKinds = []string{KindLog, KindNATS, KindSlack, KindWebhook}

func (d *Digest) validate(v *validator, targets map[string]string) {
	const p = "digest"
	checkTargetRefs(v, p+".to", d.To, targets)
	for i, name := range d.To {
		if kind, ok := targets[name]; ok && (kind == KindAlertmanager || kind == KindPagerDuty) {
			v.errorf(fmt.Sprintf("%s.to[%d]", p, i), "%q is a target of %s, which takes incidents only; a digest goes to %s targets",
				name, kind, orList(digestKinds))
		}
	}
	if d.Cron == "" {
		v.errorf(p+".cron", "is required: when to post, e.g. \"0 9 * * *\" (every day at 9:00 in digest.timezone)")
	} else {
		v.checkSpec(p+".cron", d.Cron)
	}
	if _, err := time.LoadLocation(d.Timezone); err != nil || d.Timezone == "" {
		v.errorf(p+".timezone", "%q is not a time zone; want UTC or an IANA name such as Asia/Shanghai", d.Timezone)
	}
	if d.QuietAfter < Duration(time.Hour) {
		v.errorf(p+".quiet_after", "%s is too short; want at least 1h (a project with no change for this long is listed as quiet)", d.QuietAfter)
	}
}

// Next returns the digest's schedule: the first time after t it fires,
// in Location (a CRON_TZ= prefix of the spec wins); the zero time when
// it never fires. Load has checked the spec; a spec that does not parse
// (a Digest not loaded by Load) fails here.
func (d Digest) Next() (func(time.Time) time.Time, error) {
	s, err := parseSpec(d.Cron)
	if err != nil {
		return nil, fmt.Errorf("digest.cron %q: %w", d.Cron, err)
	}
	loc := d.Location()
	return func(t time.Time) time.Time { return s.Next(t.In(loc)) }, nil
}
