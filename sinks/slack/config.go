// Package slack is the Slack target, on github.com/slack-go/slack.
//
// In bot mode (a channel and the bot token) every project gets one thread
// per channel: its parent message is a status card (Block Kit: name and
// link, status, steps with progress bars, sync delay, alarm, last error)
// updated in place with chat.update when the project's status changes, and
// each notification is a reply in the thread; critical ones are also
// broadcast to the channel. The thread's ts lives in a ThreadStore (a
// JetStream key-value bucket), so restarts keep the threads. In incoming
// webhook mode each notification is one message, without threads.
//
// Messages come from Go text/templates, per event type, overridable per
// target and per route, with a default for every type of the catalog. All
// text from OMS is escaped for mrkdwn (&, <, >) before it reaches a
// template or a block, so a project name cannot mention @channel or hide a
// link.
//
// Posting respects Slack's limits: at most Interval between messages to one
// channel (they queue, none is dropped), a 429 waits for its Retry-After,
// 5xx and network errors are returned as transient (the dispatcher retries
// with backoff), and invalid_auth, channel_not_found and the like are
// permanent (dead-lettered once, never retried in a loop).
package slack

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
	"github.com/omswatch/omswatch/sinks"
)

// Config is the slack section of the configuration: what the targets of
// one workspace share (the bot token, the Web API, the rate per channel,
// the project link, the bucket of threads) and the targets.
type Config struct {
	// Token is the bot token (bot mode).
	Token secret.String `yaml:"token"`
	// APIURL overrides Slack's Web API base URL (tests, proxies).
	APIURL string `yaml:"api_url"`
	// RateLimit is the most messages a second to one channel (default
	// 1/s, Slack's own limit); more queue, none is dropped.
	RateLimit setting.Rate `yaml:"rate_limit"`
	// ProjectURL is a template over the event ({{.Source}},
	// {{.Project.ID}}) that links the project's name in its status card;
	// empty: no link.
	ProjectURL setting.Template `yaml:"project_url"`
	// ThreadsBucket is the key-value bucket of each project's thread.
	ThreadsBucket string `yaml:"threads_bucket"`
	// SigningSecret is the Slack app's signing secret. With it, run serves
	// the app's interactions (POST /slack/interactions on http.listen)
	// and an incident's parent message has the buttons Acknowledge and
	// Silence this project 1 h / 4 h.
	SigningSecret secret.String `yaml:"signing_secret"`
	// AppToken is an app-level token (xapp-..., with connections:write).
	// With it, run receives the app's interactions over Socket Mode (no
	// public endpoint) and an incident's parent message has the buttons.
	AppToken secret.String `yaml:"app_token"`
	// ConsoleURL is the omswatch web console's address as Slack users
	// reach it (https://omswatch.example.com): an incident's parent
	// message gets an Open console button to the project's page.
	ConsoleURL string            `yaml:"console_url"`
	Targets    map[string]Target `yaml:"targets"`
}

// Interactive reports whether the app's interactions reach run, over
// HTTP (a signing secret) or Socket Mode (an app token): then an
// incident's parent message has buttons.
func (c Config) Interactive() bool { return !c.SigningSecret.IsZero() || !c.AppToken.IsZero() }

// DefaultConfig is the slack section of a file that sets nothing.
func DefaultConfig() Config {
	return Config{RateLimit: setting.Rate{Count: 1, Per: time.Second}, ThreadsBucket: "omswatch-slack-threads"}
}

// Target is one Slack destination: a channel (bot mode, with the token)
// or an incoming webhook. Template overrides the message text per event
// type: keys are event type globs (oms.step.*) or "default", values Go
// text/templates.
type Target struct {
	Channel    string                      `yaml:"channel"`
	WebhookURL secret.String               `yaml:"webhook_url"`
	Template   map[string]setting.Template `yaml:"template"`
}

// RouteTemplates are the Slack templates of named routes: route name to
// type glob (or "default") to template; they override a target's.
type RouteTemplates map[string]map[string]setting.Template

// channelPattern accepts a channel name (#oms-alerts or oms-alerts) or a
// conversation id (C0123ABCD).
var channelPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(#?[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,})$`) })

// bucketPattern is what JetStream accepts as a bucket name.
var bucketPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]+$`) })

// Validate reports, as setting.Errors, what would fail when the targets
// are built or post: a bad API URL or project link, a threads bucket that
// is no bucket name, and each target's problems.
func (c Config) Validate() error {
	var errs []error
	if c.APIURL != "" && !httpURL(c.APIURL) {
		errs = append(errs, setting.Errorf("api_url", "not an http:// or https:// URL with a host"))
	}
	if c.ConsoleURL != "" && !httpURL(c.ConsoleURL) {
		errs = append(errs, setting.Errorf("console_url", "not an http:// or https:// URL with a host"))
	}
	if !c.AppToken.IsZero() && !strings.HasPrefix(c.AppToken.Reveal(), "xapp-") {
		errs = append(errs, setting.Errorf("app_token", "not an app-level token: want xapp-... (Basic Information → App-Level Tokens, with connections:write)"))
	}
	if !c.ProjectURL.IsZero() {
		errs = append(errs, c.ProjectURL.CheckSyntax("project_url"), checkFields("project_url", c.ProjectURL, nil))
	}
	if !bucketPattern().MatchString(c.ThreadsBucket) {
		errs = append(errs, setting.Errorf("threads_bucket", "%q is not a bucket name; use letters, digits, '_' and '-'", c.ThreadsBucket))
	}
	for _, name := range slices.Sorted(maps.Keys(c.Targets)) {
		errs = append(errs, setting.Under(setting.Key("targets", name), c.Targets[name].validate(!c.Token.IsZero())))
	}
	return errors.Join(errs...)
}

// validate checks one target: a channel (with a token) or a webhook URL,
// and templates keyed by type globs the catalog has.
func (t Target) validate(hasToken bool) error {
	var errs []error
	switch {
	case t.Channel == "" && t.WebhookURL.IsZero():
		errs = append(errs, setting.Errorf("", "needs a channel (bot mode, with slack.token) or a webhook_url (incoming webhook)"))
	case t.Channel != "" && !t.WebhookURL.IsZero():
		errs = append(errs, setting.Errorf("webhook_url", "an incoming webhook posts to its own channel; set channel or webhook_url, not both"))
	case t.Channel != "":
		if !channelPattern().MatchString(t.Channel) {
			errs = append(errs, setting.Errorf("channel", "%q is not a channel; want #name (lower case) or a channel id such as C0123ABCD", t.Channel))
		}
		if !hasToken {
			errs = append(errs, setting.Errorf("channel", "posting to a channel needs a bot token: set slack.token or slack.token_file"))
		}
	case !httpURL(t.WebhookURL.Reveal()):
		errs = append(errs, setting.Errorf("webhook_url", "not an http:// or https:// URL with a host"))
	}
	errs = append(errs, checkTemplates("template", t.Template))
	return errors.Join(errs...)
}

// checkTemplates checks a template map: keys are type globs or "default",
// values parse and name only fields the events of the types their key
// matches carry.
func checkTemplates(path string, m map[string]setting.Template) error {
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(m)) {
		p := setting.Key(path, key)
		errs = append(errs, m[key].CheckSyntax(p))
		var types []string // default: every type
		if key != "default" {
			if err := event.CheckTypeGlob(key); err != nil {
				errs = append(errs, setting.Errorf(p, "%s", err))
				continue // no types to check its fields against
			}
			types, _ = event.TypesMatching(key)
		}
		errs = append(errs, checkFields(p, m[key], types))
	}
	return errors.Join(errs...)
}

// checkFields reports, at path, the fields a template names that the
// events of types do not carry (sinks.CheckTemplateFields).
func checkFields(path string, t setting.Template, types []string) error {
	var errs []error
	for _, e := range sinks.CheckTemplateFields(t.Text, types) {
		errs = append(errs, setting.Errorf(path, "%v", e))
	}
	return errors.Join(errs...)
}

// httpURL reports an http or https URL with a host.
func httpURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// ClientOptions are what a client needs beyond its Config: the thread
// store, the clock, the redactor.
type ClientOptions struct {
	// Timeout bounds one HTTP request (default 10s).
	Timeout time.Duration
	// Threads keeps each project's thread (bot mode; default in memory,
	// which forgets threads on restart).
	Threads ThreadStore
	// Clock is the time of rate limits and waits (default the real one).
	Clock Clock
	// Redactor also learns the token and webhook URLs, so errors never
	// show them.
	Redactor *secret.Redactor
	// Runbook returns the runbook (a URL or a short text) of the problem
	// an event reports, shown under its line; "" or a nil func for none.
	Runbook func(*event.Event) string
}

func (o *ClientOptions) setDefaults() {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Threads == nil {
		o.Threads = &MemThreads{}
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Redactor == nil {
		o.Redactor = &secret.Redactor{}
	}
}

func targetError(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("slack target %s: %w", name, err)
}
