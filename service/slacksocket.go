package service

import (
	"context"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks/slack"
)

// slackSocket is the Socket Mode connection of the Slack buttons and what
// it runs with: it lives across reloads that keep the app token and the
// API URL, so a reload does not drop the presses on their way.
type slackSocket struct {
	token  secret.String
	apiURL string
	stop   context.CancelFunc
	done   chan struct{}
}

// syncSlackSocket starts Socket Mode when cfg has an app token
// (slack.app_token), and restarts or stops it when a reload changed or
// removed it. Every replica holds a connection (Slack gives each press
// to one of them): the actions work on any, through NATS, as over HTTP.
// Only Run's goroutine calls it.
func (s *Service) syncSlackSocket(ctx context.Context, cfg *config.Config) {
	if cur := s.socket; cur != nil && cur.token == cfg.Slack.AppToken && cur.apiURL == cfg.Slack.APIURL {
		return
	}
	s.stopSlackSocket()
	if cfg.Slack.AppToken.IsZero() || s.slackAct == nil {
		return
	}
	sctx, stop := context.WithCancel(ctx)
	sock := &slackSocket{token: cfg.Slack.AppToken, apiURL: cfg.Slack.APIURL, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(sock.done)
		err := s.slackAct.RunSocketMode(sctx, slack.SocketOptions{AppToken: cfg.Slack.AppToken, APIURL: cfg.Slack.APIURL, Redactor: s.o.Redactor})
		if err != nil {
			s.log.Error("no Slack buttons over Socket Mode until a reload with a good slack.app_token", "error", err)
		}
	}()
	s.socket = sock
}

// stopSlackSocket closes the Socket Mode connection, if any, and waits
// until it is closed; the presses it took go on (Interactions.Wait).
func (s *Service) stopSlackSocket() {
	if s.socket == nil {
		return
	}
	s.socket.stop()
	<-s.socket.done
	s.socket = nil
}
