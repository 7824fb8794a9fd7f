package slack

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"
)

// Test posts text as it is (no template, no thread, no card) to the
// target's channel or incoming webhook, and says where it went: for
// `omswatch test`, which checks the token, the channel and the bot's
// membership before a real alert needs them.
func (s *Sink) Test(ctx context.Context, text string) (string, error) {
	if s.cfg.Channel == "" {
		hook := s.cfg.WebhookURL.Reveal()
		err := s.c.call(ctx, "incoming webhook", "webhook:"+s.name, false, func() error {
			return slack.PostWebhookCustomHTTPContext(ctx, hook, s.c.http, &slack.WebhookMessage{Text: text})
		})
		if err != nil {
			return "", err
		}
		return "posted through the incoming webhook", nil
	}
	ch, ts, err := s.c.post(ctx, s.cfg.Channel, s.cfg.Channel, slack.MsgOptionText(text, false))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("posted to %s (channel %s, ts %s)", s.cfg.Channel, ch, ts), nil
}
