package alertmanager

import (
	"errors"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
)

// Config is one Alertmanager target: alertmanager.targets.<name> of the
// configuration. URL is Alertmanager's base URL (http://alertmanager:9093);
// it is a secret because it may carry basic-auth credentials.
type Config struct {
	URL secret.String `yaml:"url"`
	// Labels are added to every alert (team: dba), for Alertmanager's
	// routes; they cannot replace the labels that identify the incident.
	Labels map[string]string `yaml:"labels"`
	// ResendInterval is how often a firing alert is posted again (default
	// 5m); each post says it ends 4 intervals later, so Alertmanager keeps
	// it firing while omswatch runs, and resolves it on its own if omswatch
	// stops saying it fires.
	ResendInterval setting.Duration `yaml:"resend_interval"`
	// Timeout bounds one request (default 10s).
	Timeout setting.Duration `yaml:"timeout"`
}

// Defaults.
const (
	defaultTimeout        = setting.Duration(10 * time.Second)
	defaultResendInterval = setting.Duration(5 * time.Minute)
)

// SetDefaults gives a target the file names its defaults.
func (c *Config) SetDefaults() {
	c.Timeout = defaultTimeout
	c.ResendInterval = defaultResendInterval
}

// labelNamePattern is a Prometheus label name.
var labelNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`) })

// Validate reports what would fail at run time, as setting.Errors: no URL
// or one that is not http(s), a label that is no label name or that would
// replace one omswatch sets, no timeout or resend interval. The URL is
// never echoed.
func (c Config) Validate() error {
	var errs []error
	if c.URL.IsZero() {
		errs = append(errs, setting.Errorf("url", "is required (url or url_file): Alertmanager's base URL, e.g. http://alertmanager:9093"))
	} else if u, err := url.Parse(c.URL.Reveal()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, setting.Errorf("url", "not an http:// or https:// URL with a host"))
	}
	for _, name := range slices.Sorted(maps.Keys(c.Labels)) {
		p := setting.Key("labels", name)
		switch {
		case !labelNamePattern().MatchString(name):
			errs = append(errs, setting.KeyErrorf(p, "%q is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)", name))
		case slices.Contains(identityLabels, name):
			errs = append(errs, setting.KeyErrorf(p, "%s is set by omswatch from the incident and cannot be overridden", name))
		}
	}
	if c.Timeout <= 0 {
		errs = append(errs, setting.Errorf("timeout", "must be greater than zero"))
	}
	if c.ResendInterval < setting.Duration(time.Second) {
		errs = append(errs, setting.Errorf("resend_interval", "must be at least 1s"))
	}
	return errors.Join(errs...)
}
