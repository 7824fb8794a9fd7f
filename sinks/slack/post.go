package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/omswatch/omswatch/sinks"
)

// post sends chat.postMessage to channel in the turn of key (the channel
// as configured, whether the call names it by name or by the id Slack
// answered with) and returns the channel id and ts Slack answered with.
func (c *Client) post(ctx context.Context, key, channel string, opts ...slack.MsgOption) (string, string, error) {
	var ch, ts string
	err := c.call(ctx, "chat.postMessage", "channel:"+key, true, func() error {
		var err error
		ch, ts, err = c.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ch, ts, err
}

// update replaces a card with chat.update. It is not a new message, so it
// does not take a turn of the channel's limit; Slack's own 429 still
// applies. The error is returned as Slack gave it (the caller handles a
// vanished parent).
func (c *Client) update(ctx context.Context, channel, ts string, cd card) error {
	for {
		_, _, _, err := c.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionBlocks(cd.blocks...),
			slack.MsgOptionText(cd.text, false))
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			return err
		}
		if err := c.opts.Clock.Sleep(ctx, rl.RetryAfter); err != nil {
			return err
		}
	}
}

// call runs one request: in the key's turn when limited, again after a
// 429's Retry-After for as long as ctx allows (a rate limit is no failure
// and counts no attempt), and returns other errors classified.
func (c *Client) call(ctx context.Context, method, key string, limited bool, f func() error) error {
	for {
		if limited {
			if err := c.lim.wait(ctx, key); err != nil {
				return err
			}
		}
		err := f()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			return c.classify(method, err)
		}
		c.lim.hold(key, rl.RetryAfter)
		if !limited {
			if err := c.opts.Clock.Sleep(ctx, rl.RetryAfter); err != nil {
				return err
			}
		}
	}
}

// transient reports whether a Slack error code may not come back on a
// later try.
func transient(code string) bool {
	switch code {
	case "internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited", "team_added_to_org":
		return true
	}
	return false
}

// classify turns a Slack error into the sinks contract: ok:false answers
// (invalid_auth, channel_not_found, not_in_channel, ...) and 4xx are
// permanent, 5xx and network errors transient. The text is redacted: an
// error about a webhook carries its URL.
func (c *Client) classify(method string, err error) error {
	if err == nil {
		return nil
	}
	msg := errors.New(c.opts.Redactor.Redact(fmt.Sprintf("slack %s: %v", method, err)))
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		if transient(se.Err) {
			return msg
		}
		return sinks.Permanent(msg)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 500 || sc.Code == http.StatusTooManyRequests {
			return msg
		}
		return sinks.Permanent(msg)
	}
	return msg
}
