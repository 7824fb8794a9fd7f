package service

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/rules/kvstate"
)

// OpenSilences connects to the NATS the silences live in (natsURL, else
// nats.url with its credentials, else the embedded server a running
// omswatch serves) and opens the silence bucket. close ends the
// connection.
func OpenSilences(ctx context.Context, cfg *config.Config, natsURL string) (_ *kvstate.Silences, close func(), _ error) {
	co, err := silenceConn(cfg, natsURL)
	if err != nil {
		return nil, nil, err
	}
	nc, err := natsembed.Connect(ctx, co)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS at %s (is omswatch running, or is --nats-url right?): %w", co.URL, err)
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

// silenceConn says where the silences are.
func silenceConn(cfg *config.Config, natsURL string) (natsembed.ConnOptions, error) {
	n := cfg.NATS
	co := natsembed.ConnOptions{Name: "omswatch silence", URL: natsURL}
	if co.URL != "" {
		return co, nil
	}
	if !n.IsEmbedded() {
		co = n.Conn()
		co.Name = "omswatch silence"
		return co, nil
	}
	if n.Embedded.Port <= 0 {
		return co, Invalidf("the embedded NATS server listens on a random port (nats.embedded.port %d); give --nats-url", n.Embedded.Port)
	}
	co.URL = "nats://" + net.JoinHostPort(n.Embedded.Host, strconv.Itoa(n.Embedded.Port))
	return co, nil
}
