package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/omswatch/omswatch/secret"
)

// SocketOptions configures the Socket Mode connection of the app's
// interactions.
type SocketOptions struct {
	// AppToken is the app-level token (xapp-..., with the
	// connections:write scope) that opens the connection. Required.
	AppToken secret.String
	// APIURL overrides Slack's Web API base URL, where
	// apps.connections.open gives the connection's address (tests,
	// proxies); empty: https://slack.com/api/.
	APIURL string
	// HTTPClient calls apps.connections.open (default: a client with a
	// 10 s timeout).
	HTTPClient *http.Client
	// Redactor learns the token, so that no error logged shows it.
	Redactor *secret.Redactor
}

// RunSocketMode receives the app's interactions over Slack Socket Mode
// until ctx ends: it opens a connection with the app token, acknowledges
// each envelope as it arrives (Slack wants that within 3 s) and hands
// the button presses to the same path as ServeHTTP. When the connection
// drops, or Slack asks for a new one, slack-go's client connects again
// with backoff; each change of the connection's state is logged once.
//
// It returns nil when ctx ends, and an error when Slack refuses the token
// (invalid_auth, token_revoked: a new token needs a reload).
func (h *Interactions) RunSocketMode(ctx context.Context, o SocketOptions) error {
	if o.AppToken.IsZero() {
		return errors.New("slack socket mode needs an app-level token (slack.app_token)")
	}
	red := o.Redactor
	if red == nil {
		red = &secret.Redactor{}
	}
	red.Add(o.AppToken)
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	apiURL := o.APIURL
	if apiURL == "" {
		apiURL = slack.APIURL
	}
	api := slack.New("", slack.OptionAppLevelToken(o.AppToken.Reveal()), slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(o.HTTPClient))
	// The client's own log is for debugging slack-go, off here: its
	// messages would bypass slog (and our redaction).
	client := socketmode.New(api, socketmode.OptionLog(log.New(io.Discard, "", 0)))
	run, stop := context.WithCancel(ctx)
	defer stop()
	var events sync.WaitGroup
	events.Go(func() {
		st := socketState{log: h.log, red: red}
		for {
			select {
			case <-run.Done():
				return
			case evt := <-client.Events:
				h.socketEvent(run, client, evt, &st)
			}
		}
	})
	err := client.RunContext(run)
	stop()
	events.Wait()
	if ctx.Err() != nil {
		h.log.Info("Slack Socket Mode stopped")
		return nil
	}
	return fmt.Errorf("slack socket mode: %w", err)
}

// socketEvent handles one event of the Socket Mode client: an envelope
// from Slack (acknowledged first, then a button press handled), or a
// change of the connection's state.
func (h *Interactions) socketEvent(ctx context.Context, c *socketmode.Client, evt socketmode.Event, st *socketState) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		if ce, ok := evt.Data.(*slack.ConnectingEvent); ok && ce.ConnectionCount > 0 {
			st.set("reconnecting", nil)
		}
	case socketmode.EventTypeConnected:
		st.set("connected", nil)
	case socketmode.EventTypeConnectionError:
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			st.set("failing", ce.ErrorObj)
		}
	case socketmode.EventTypeErrorWriteFailed:
		if wf, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok {
			h.log.Warn("could not acknowledge a Slack Socket Mode envelope; Slack may send it again", "error", st.red.Redact(wf.Cause.Error()))
		}
	case socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand:
		if evt.Request == nil {
			return
		}
		if err := c.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
			h.log.Warn("could not acknowledge a Slack Socket Mode envelope", "envelope_id", evt.Request.EnvelopeID, "error", err)
		}
		if ic, ok := evt.Data.(slack.InteractionCallback); ok {
			h.handle(ctx, ic, "envelope "+evt.Request.EnvelopeID)
		}
	}
}

// socketState is the Socket Mode connection's state as last logged, so
// that each change is logged once (a long outage is one line, not one a
// retry).
type socketState struct {
	log   *slog.Logger
	red   *secret.Redactor
	state string
}

func (s *socketState) set(state string, err error) {
	if state == s.state {
		return
	}
	s.state = state
	switch state {
	case "connected":
		s.log.Info("Slack Socket Mode connected: receiving the buttons' presses")
	case "reconnecting":
		s.log.Info("Slack Socket Mode disconnected; connecting again")
	case "failing":
		s.log.Warn("cannot connect to Slack Socket Mode; retrying with backoff", "error", s.red.Redact(err.Error()))
	}
}
