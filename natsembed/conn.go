package natsembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
)

// ConnOptions say how to connect to NATS. Give at most one of CredsFile,
// NKeyFile, User/Password, Token.
type ConnOptions struct {
	// URL is one server URL or a comma-separated list (a cluster).
	URL string
	// Name is the connection's name, shown by the server (default omswatch).
	Name string
	// CredsFile is a NATS credentials file (JWT and nkey seed).
	CredsFile string
	// NKeyFile is an nkey seed file.
	NKeyFile string
	// User and Password authenticate with user/password.
	User     string
	Password secret.String
	// Token authenticates with a token.
	Token secret.String
	// TLS, when set, is used for the connection.
	TLS *setting.TLS
	// Logger receives disconnect and reconnect notices, and the client's
	// asynchronous errors (a subscription dropping messages it could not
	// keep up with) as log lines rather than the client's own lines on
	// stderr (default: none).
	Logger *slog.Logger
}

// Connect connects to NATS and keeps reconnecting for ever after a loss:
// the poller and the sinks ride out a server restart.
func Connect(ctx context.Context, o ConnOptions) (*nats.Conn, error) {
	if o.URL == "" {
		return nil, errors.New("nats: a URL is required")
	}
	if o.Name == "" {
		o.Name = "omswatch"
	}
	opts := []nats.Option{nats.Name(o.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(false)}
	if dl, ok := ctx.Deadline(); ok {
		opts = append(opts, nats.Timeout(time.Until(dl)))
	}
	auth, err := authOptions(o)
	if err != nil {
		return nil, err
	}
	opts = append(opts, auth...)
	if o.TLS != nil {
		tc, err := o.TLS.ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("nats TLS: %w", err)
		}
		opts = append(opts, nats.Secure(tc))
	}
	if l := o.Logger; l != nil {
		l = l.With("component", "nats_client")
		opts = append(opts,
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil { // nil: our own Close or Drain
					l.Warn("NATS disconnected", "error", err)
				}
			}),
			nats.ReconnectHandler(func(c *nats.Conn) { l.Info("NATS reconnected", "url", c.ConnectedUrlRedacted()) }),
			nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
				subject := ""
				if sub != nil {
					subject = sub.Subject
				}
				l.Warn("NATS client error", "subject", subject, "error", err)
			}))
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	return nc, nil
}

func authOptions(o ConnOptions) ([]nats.Option, error) {
	var opts []nats.Option
	n := 0
	if o.CredsFile != "" {
		n++
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.NKeyFile != "" {
		n++
		opt, err := nats.NkeyOptionFromSeed(o.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("nats nkey file: %w", err)
		}
		opts = append(opts, opt)
	}
	if o.User != "" || !o.Password.IsZero() {
		n++
		opts = append(opts, nats.UserInfo(o.User, o.Password.Reveal()))
	}
	if !o.Token.IsZero() {
		n++
		opts = append(opts, nats.Token(o.Token.Reveal()))
	}
	if n > 1 {
		return nil, errors.New("nats: give one way to authenticate (creds file, nkey file, user/password or token)")
	}
	return opts, nil
}
