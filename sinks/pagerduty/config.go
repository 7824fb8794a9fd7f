package pagerduty

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
)

// DefaultURL is PagerDuty's Events API.
const DefaultURL = "https://events.pagerduty.com"

// Config is one PagerDuty target: pagerduty.targets.<name> of the
// configuration. RoutingKey is the integration key of a PagerDuty service
// (Events API v2); it is a secret: it never reaches a log, an event, an
// error or a record.
type Config struct {
	RoutingKey secret.String `yaml:"routing_key"`
	// URL is the Events API's base URL (default https://events.pagerduty.com;
	// https://events.eu.pagerduty.com for the EU service region).
	URL string `yaml:"url"`
	// Timeout bounds one request (default 10s).
	Timeout setting.Duration `yaml:"timeout"`
}

const defaultTimeout = setting.Duration(10 * time.Second)

// SetDefaults gives a target the file names its defaults.
func (c *Config) SetDefaults() {
	c.URL = DefaultURL
	c.Timeout = defaultTimeout
}

// Validate reports what would fail at run time, as setting.Errors: no
// routing key or one with spaces, a URL that is not http(s), no timeout.
// The routing key is never echoed.
func (c Config) Validate() error {
	var errs []error
	switch k := c.RoutingKey.Reveal(); {
	case k == "":
		errs = append(errs, setting.Errorf("routing_key", "is required (routing_key or routing_key_file): the integration key of a PagerDuty service's Events API v2 integration"))
	case strings.ContainsAny(k, " \t\r\n"):
		errs = append(errs, setting.Errorf("routing_key", "contains white space; an integration key is 32 letters and digits"))
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, setting.Errorf("url", "%q is not an http:// or https:// URL with a host", c.URL))
	}
	if c.Timeout <= 0 {
		errs = append(errs, setting.Errorf("timeout", "must be greater than zero"))
	}
	return errors.Join(errs...)
}
