package service

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/sinks"
)

// History reads a project's events from the audit trail, where the
// configuration keeps it: an external NATS, the embedded server of a
// running omswatch, or, when none runs, the embedded server's store
// opened here.
func History(ctx context.Context, cfg *config.Config, q sinks.HistoryQuery, log *slog.Logger) ([]sinks.StoredEvent, error) {
	a := &app{}
	defer a.close()
	js := runningEmbedded(ctx, cfg)
	if js == nil {
		var err error
		if js, err = a.jetStream(ctx, cfg, log); err != nil {
			return nil, err
		}
	} else {
		a.closers = append(a.closers, func() { js.Conn().Close() })
	}
	return sinks.History(ctx, js, q)
}

// runningEmbedded connects to the embedded server of an omswatch that is
// running (its store directory is locked by it), or returns nil.
func runningEmbedded(ctx context.Context, cfg *config.Config) jetstream.JetStream {
	n := cfg.NATS
	if !n.IsEmbedded() || n.Embedded.Port <= 0 {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	nc, err := natsembed.Connect(cctx, natsembed.ConnOptions{URL: fmt.Sprintf("nats://%s:%d", n.Embedded.Host, n.Embedded.Port)})
	if err != nil {
		return nil
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil
	}
	return js
}

// ParseSince reads a time given on the command line: a duration back from
// now (Go syntax, or whole days as 7d) or an RFC 3339 time. Its error is
// the input's (ErrInvalid).
func ParseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, Invalidf("%q: want a duration (90m, 24h, 7d) or an RFC 3339 time", s)
}
