package natsembed

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
)

// Config says which NATS server holds the store and the audit trail and
// receives events: an embedded one (URL empty, the default) or an external
// server or cluster, with its authentication. It is the nats section of
// the configuration (its targets aside).
type Config struct {
	URL       string        `yaml:"url"`
	Embedded  Embedded      `yaml:"embedded"`
	CredsFile setting.File  `yaml:"creds_file"`
	NKeyFile  setting.File  `yaml:"nkey_file"`
	User      string        `yaml:"user"`
	Password  secret.String `yaml:"password"`
	Token     secret.String `yaml:"token"`
	TLS       setting.TLS   `yaml:"tls"`
}

// Embedded configures the in-process NATS server (with JetStream under
// the store's directory) started when the URL is empty. It listens on
// loopback only unless AllowNonLoopback says otherwise: it has no auth.
type Embedded struct {
	Host             string           `yaml:"host"`
	Port             int              `yaml:"port"`
	MaxPayload       setting.ByteSize `yaml:"max_payload"`
	AllowNonLoopback bool             `yaml:"allow_non_loopback"`
}

// DefaultConfig is an embedded server on 127.0.0.1:4222.
func DefaultConfig() Config {
	return Config{Embedded: Embedded{Host: "127.0.0.1", Port: 4222, MaxPayload: 8 << 20}}
}

// IsEmbedded reports whether omswatch runs its own NATS server.
func (c Config) IsEmbedded() bool { return c.URL == "" }

// Conn is how to connect to the external server (the embedded one is
// reached through its ClientURL).
func (c Config) Conn() ConnOptions {
	co := ConnOptions{URL: c.URL, CredsFile: string(c.CredsFile), NKeyFile: string(c.NKeyFile),
		User: c.User, Password: c.Password, Token: c.Token}
	if !c.TLS.IsZero() {
		t := c.TLS
		co.TLS = &t
	}
	return co
}

// maxPayload is nats-server's hard limit on max_payload.
const maxPayload = 64 << 20

// Validate reports, as setting.Errors, settings that would fail or be
// silently ignored: an embedded server on a non-loopback address without
// saying so, a port or payload out of range, authentication given to the
// embedded server (which has none), an external URL that is not one or
// carries credentials, more than one way to authenticate, half of
// user/password, and the TLS settings' own problems.
func (c Config) Validate() error {
	if c.URL == "" {
		errs := []error{setting.Under("embedded", c.Embedded.validate())}
		given := map[string]bool{"creds_file": c.CredsFile != "", "nkey_file": c.NKeyFile != "", "user": c.User != "",
			"password": !c.Password.IsZero(), "token": !c.Token.IsZero(), "tls": !c.TLS.IsZero()}
		for _, k := range []string{"creds_file", "nkey_file", "user", "password", "token", "tls"} {
			if given[k] {
				errs = append(errs, setting.KeyErrorf(k, "is only used with nats.url (an external server); the embedded server has no auth"))
			}
		}
		return errors.Join(errs...)
	}
	return c.validateExternal()
}

func (e Embedded) validate() error {
	var errs []error
	ip := net.ParseIP(e.Host)
	loopback := e.Host == "localhost" || (ip != nil && ip.IsLoopback())
	if e.Host == "" {
		errs = append(errs, setting.Errorf("host", "is empty; want 127.0.0.1 (or an address, with allow_non_loopback: true)"))
	} else if !loopback && !e.AllowNonLoopback {
		errs = append(errs, setting.Errorf("host", "%q is not a loopback address; the embedded server has no auth, so anyone who can reach it can read and publish events; set allow_non_loopback: true if you mean it", e.Host))
	}
	if e.Port != -1 && (e.Port < 1 || e.Port > 65535) {
		errs = append(errs, setting.Errorf("port", "%d is out of range; want 1 to 65535, or -1 for a random free port", e.Port))
	}
	if e.MaxPayload < 1024 || e.MaxPayload > maxPayload {
		errs = append(errs, setting.Errorf("max_payload", "%s is out of range; want 1KiB to 64MiB", e.MaxPayload))
	}
	return errors.Join(errs...)
}

func (c Config) validateExternal() error {
	var errs []error
	if c.Embedded != DefaultConfig().Embedded {
		errs = append(errs, setting.KeyErrorf("embedded", "is only used when nats.url is empty; with a url omswatch connects to that server instead"))
	}
	for _, raw := range strings.Split(c.URL, ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		switch {
		case err != nil || u.Host == "":
			errs = append(errs, setting.Errorf("url", "is not a NATS URL (or comma-separated list of them); want e.g. nats://nats.example.com:4222"))
		case u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss":
			errs = append(errs, setting.Errorf("url", "scheme %q is not allowed; want nats, tls, ws or wss", u.Scheme))
		case u.User != nil:
			errs = append(errs, setting.Errorf("url", "must not carry credentials; use nats.user and nats.password, nats.token, creds_file or nkey_file"))
		}
	}
	var methods []string
	if c.CredsFile != "" {
		methods = append(methods, "creds_file")
	}
	if c.NKeyFile != "" {
		methods = append(methods, "nkey_file")
	}
	if c.User != "" || !c.Password.IsZero() {
		methods = append(methods, "user/password")
		if c.User == "" || c.Password.IsZero() {
			errs = append(errs, setting.Errorf("user", "user and password go together; set both (password or password_file)"))
		}
	}
	if !c.Token.IsZero() {
		methods = append(methods, "token")
	}
	if len(methods) > 1 {
		errs = append(errs, setting.Errorf("", "has more than one way to authenticate (%s); keep one", strings.Join(methods, ", ")))
	}
	errs = append(errs, setting.Under("tls", c.TLS.Validate()))
	return errors.Join(errs...)
}
