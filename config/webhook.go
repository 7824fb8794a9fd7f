package config

import (
	"net/http"
	"strings"

	"github.com/omswatch/omswatch/secret"
)

// SignatureHeader is the header a webhook target signs its body in.
const SignatureHeader = "X-Omswatch-Signature"

// Webhook configures the webhook targets: an HTTP POST of each event's
// CloudEvents JSON, the way to reach DingTalk, Teams, PagerDuty relays and
// one's own services.
type Webhook struct {
	Targets map[string]WebhookTarget `yaml:"targets"`
}

// WebhookTarget is one named webhook. URL is a secret because webhook URLs
// often carry an access token (DingTalk, Feishu, Teams); header values are
// secrets because they usually carry credentials (Authorization). With a
// Secret, the body is signed with HMAC-SHA256 in the X-Omswatch-Signature
// header.
type WebhookTarget struct {
	URL     secret.String            `yaml:"url"`
	Secret  secret.String            `yaml:"secret"`
	Headers map[string]secret.String `yaml:"headers"`
	Timeout Duration                 `yaml:"timeout"`
	// Body, if set, is a template making the body instead of the
	// CloudEvents JSON ({{json .Project.Name}} encodes a value as JSON).
	Body Template `yaml:"body"`
}

// headerNamePattern is an HTTP header field name (RFC 9110 token).
var headerNamePattern = lazyRegexp("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

func (w *Webhook) validate(v *validator) {
	for _, name := range sortedKeys(w.Targets) {
		t := w.Targets[name]
		t.validate(v, joinPath("webhook.targets", name))
	}
}

func (t *WebhookTarget) validate(v *validator, path string) {
	if t.URL.IsZero() {
		v.errorf(path+".url", "is required (url or url_file)")
	} else {
		v.httpURL(secretPath(v, path+".url"), t.URL.Reveal())
	}
	v.positive(path+".timeout", t.Timeout > 0)
	if v.set(path + ".body") {
		v.checkTemplate(path+".body", t.Body)
	}
	for _, name := range sortedKeys(t.Headers) {
		p := joinPath(path+".headers", name)
		switch canon := http.CanonicalHeaderKey(name); {
		case !headerNamePattern().MatchString(name):
			v.keyErrorf(p, "%q is not an HTTP header name", name)
		case canon == SignatureHeader || canon == "Content-Type" || canon == "Content-Length" || canon == "Host":
			v.keyErrorf(p, "%s is set by omswatch and cannot be overridden", canon)
		case strings.ContainsAny(t.Headers[name].Reveal(), "\r\n"):
			v.errorf(p, "a header value cannot contain a line break")
		}
	}
}
