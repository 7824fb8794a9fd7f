package webhook

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
)

// Config is one webhook target: webhook.targets.<name> of the
// configuration. URL is a secret because webhook URLs often carry an
// access token (DingTalk, Feishu, Teams); header values are secrets because
// they usually carry credentials (Authorization). With a Secret, the body
// is signed with HMAC-SHA256 in the X-Omswatch-Signature header.
type Config struct {
	URL     secret.String            `yaml:"url"`
	Secret  secret.String            `yaml:"secret"`
	Headers map[string]secret.String `yaml:"headers"`
	// Timeout bounds one request (default 10s).
	Timeout setting.Duration `yaml:"timeout"`
	// Body, if set, is a Go template over sinks.TemplateData making the
	// body instead of the CloudEvents JSON; its json function encodes a
	// value as JSON.
	Body setting.Template `yaml:"body"`
}

// defaultTimeout bounds a request when the target does not say.
const defaultTimeout = setting.Duration(10 * time.Second)

// SetDefaults gives a target the file names its defaults.
func (c *Config) SetDefaults() { c.Timeout = defaultTimeout }

// headerNamePattern is an HTTP header field name (RFC 9110 token).
var headerNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$") })

// Validate reports what would fail at run time, as setting.Errors: no URL
// or one that is not http(s), no timeout, a body that is not a template or
// names a field events do not carry, header names that are not names or
// that omswatch sets itself, header values with line breaks. The URL is
// never echoed: it may carry a token.
func (c Config) Validate() error {
	var errs []error
	if c.URL.IsZero() {
		errs = append(errs, setting.Errorf("url", "is required (url or url_file)"))
	} else if u, err := url.Parse(c.URL.Reveal()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, setting.Errorf("url", "not an http:// or https:// URL with a host"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, setting.Errorf("timeout", "must be greater than zero"))
	}
	if !c.Body.IsZero() {
		errs = append(errs, c.Body.CheckSyntax("body"))
		for _, e := range sinks.CheckTemplateFields(c.Body.Text, nil) {
			errs = append(errs, setting.Errorf("body", "%v", e))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Headers)) {
		p := setting.Key("headers", name)
		switch canon := http.CanonicalHeaderKey(name); {
		case !headerNamePattern().MatchString(name):
			errs = append(errs, setting.KeyErrorf(p, "%q is not an HTTP header name", name))
		case canon == SignatureHeader || canon == "Content-Type" || canon == "Content-Length" || canon == "Host":
			errs = append(errs, setting.KeyErrorf(p, "%s is set by omswatch and cannot be overridden", canon))
		case strings.ContainsAny(c.Headers[name].Reveal(), "\r\n"):
			errs = append(errs, setting.Errorf(p, "a header value cannot contain a line break"))
		}
	}
	return errors.Join(errs...)
}
