package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/sinks"
)

// openTrail reaches the audit trail where the configuration keeps it: an
// external NATS, the embedded server of a running omswatch, or, when none
// runs, the embedded server's store opened here.
//
// It creates nothing: a store directory that does not exist is an error,
// and a store a running omswatch holds is read through that instance's
// server (the lock file names it), never opened a second time.
func openTrail(ctx context.Context, a *app, cfg *config.Config, log *slog.Logger) (jetstream.JetStream, error) {
	if cfg.NATS.IsEmbedded() {
		if _, err := os.Stat(cfg.Store.Dir); errors.Is(err, fs.ErrNotExist) {
			return nil, noStore(cfg)
		}
	}
	return historyStream(ctx, a, cfg, log)
}

// noStore says why a reader found no store, and where to look instead.
func noStore(cfg *config.Config) error {
	if cfg.File == "" {
		return fmt.Errorf("no store at %s: without --config this reads the demo's, kept where `omswatch run` ran without one; run it in that folder, or give the service's --config FILE", cfg.Store.Dir)
	}
	return fmt.Errorf("no store at %s: nothing was recorded there (is this the configuration the service runs with?)", cfg.Store.Dir)
}

// historyStream reaches the audit trail: the store opened here when no
// omswatch holds it (on a free port: a reader serves nobody), or the
// server of the omswatch that holds it, where the store's lock file says
// (the configured port only when the lock does not say yet: whatever else
// answers on that port may keep another store), or the external NATS.
func historyStream(ctx context.Context, a *app, cfg *config.Config, log *slog.Logger) (jetstream.JetStream, error) {
	local := *cfg
	if local.NATS.IsEmbedded() {
		local.NATS.Embedded.Port = -1
	}
	js, err := a.jetStream(ctx, &local, log)
	var locked *natsembed.LockedError
	if errors.As(err, &locked) {
		if js := runningEmbedded(ctx, cfg, locked.URL); js != nil {
			a.closers = append(a.closers, func() { js.Conn().Close() })
			return js, nil
		}
	}
	return js, err
}

// runningEmbedded connects to the embedded server of an omswatch that is
// running, at url or (url empty) the configured host and port, or
// returns nil.
func runningEmbedded(ctx context.Context, cfg *config.Config, url string) jetstream.JetStream {
	n := cfg.NATS
	if url == "" {
		if !n.IsEmbedded() || n.Embedded.Port <= 0 {
			return nil
		}
		url = fmt.Sprintf("nats://%s:%d", n.Embedded.Host, n.Embedded.Port)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	nc, err := natsembed.Connect(cctx, natsembed.ConnOptions{URL: url})
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

// HistoryQueryOf checks the flags of `omswatch history` and makes its
// query; its errors are the input's (ErrInvalid).
func HistoryQueryOf(project, since, typ, format string, now time.Time) (sinks.HistoryQuery, error) {
	q := sinks.HistoryQuery{Project: project}
	if format != "text" && format != "json" {
		return q, Invalidf("--format %q: want text or json", format)
	}
	if typ != "" {
		if _, err := event.TypesMatching(typ); err != nil {
			return q, Invalidf("--type: %v", err)
		}
	}
	if since != "" {
		t, err := ParseSince(since, now)
		if err != nil {
			return q, Invalid(err)
		}
		q.Since = t
	}
	return q, nil
}
