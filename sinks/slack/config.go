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
	"net/url"
	"time"

	"github.com/omswatch/omswatch/secret"
)

// Config is one Slack target: Channel (bot mode) or WebhookURL.
type Config struct {
	Channel    string
	WebhookURL secret.String
	// Templates are the target's message templates: event type globs
	// (oms.step.*) or "default" to Go text/template text.
	Templates map[string]string
	// RouteTemplates override Templates for the notifications of a named
	// route: route name to type glob to template.
	RouteTemplates map[string]map[string]string
}

func (c Config) validate() error {
	var errs []error
	if (c.Channel == "") == c.WebhookURL.IsZero() {
		errs = append(errs, errors.New("set a channel (bot mode) or a webhook URL, one of the two"))
	}
	if !c.WebhookURL.IsZero() {
		if u, err := url.Parse(c.WebhookURL.Reveal()); err != nil || u.Host == "" {
			errs = append(errs, errors.New("the webhook URL is not a URL"))
		}
	}
	return errors.Join(errs...)
}

// ClientOptions configure what the targets of one workspace share: the bot
// token, the per-channel rate, the thread store.
type ClientOptions struct {
	// Token is the bot token (bot mode).
	Token secret.String
	// APIURL overrides Slack's Web API base URL (tests).
	APIURL string
	// Interval is the least time between two messages to one channel
	// (default 1s: Slack's one message per second per channel).
	Interval time.Duration
	// ProjectURL is a template over the event (.Source, .Project.ID) that
	// links the project's name in the status card; empty: no link.
	ProjectURL string
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
}

func (o *ClientOptions) setDefaults() {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
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
