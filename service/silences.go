package service

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/rules/kvstate"
)

// OpenSilences opens the silence bucket where the silences live:
// natsURL, else nats.url with its credentials, else with the embedded
// server as history reads the store (the running omswatch that holds it,
// or the store opened here when none runs: a silence added before a
// restart is in force when it starts). close ends the connection, and
// the server started here.
func OpenSilences(ctx context.Context, cfg *config.Config, natsURL string, log *slog.Logger) (_ *kvstate.Silences, close func(), _ error) {
	if natsURL == "" && cfg.NATS.IsEmbedded() {
		a := &app{}
		js, err := openTrail(ctx, a, cfg, log)
		if err == nil {
			var s *kvstate.Silences
			if s, err = kvstate.NewSilences(ctx, js, kvstate.Options{Bucket: cfg.Rules.SilenceBucket}); err == nil {
				return s, a.close, nil
			}
		}
		a.close()
		return nil, nil, err
	}
	co := silenceConn(cfg, natsURL)
	nc, err := natsembed.Connect(ctx, co)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS at %s (is that server up, and --nats-url or nats.url right?): %w", co.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	s, err := kvstate.NewSilences(ctx, js, kvstate.Options{Bucket: cfg.Rules.SilenceBucket})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return s, nc.Close, nil
}

// silenceConn says where the silences are: natsURL, else nats.url.
func silenceConn(cfg *config.Config, natsURL string) natsembed.ConnOptions {
	if natsURL != "" {
		return natsembed.ConnOptions{Name: "omswatch silence", URL: natsURL}
	}
	co := cfg.NATS.Conn()
	co.Name = "omswatch silence"
	return co
}
