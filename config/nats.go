package config

import (
	"net"
	"net/url"
	"strings"

	"github.com/omswatch/omswatch/secret"
)

// DefaultSubject is the subject template of a NATS target that names none.
const DefaultSubject = "oms.events.{{.Source}}.{{.Project.ID}}.{{.Type}}"

// NATS says which NATS server holds the store and the audit trail and
// receives events: an embedded one (URL empty, the default) or an external
// server or cluster, with its authentication.
type NATS struct {
	URL       string        `yaml:"url"`
	Embedded  Embedded      `yaml:"embedded"`
	CredsFile FilePath      `yaml:"creds_file"`
	NKeyFile  FilePath      `yaml:"nkey_file"`
	User      string        `yaml:"user"`
	Password  secret.String `yaml:"password"`
	Token     secret.String `yaml:"token"`
	TLS       TLS           `yaml:"tls"`

	Targets map[string]NATSTarget `yaml:"targets"`
}

// Embedded configures the in-process NATS server (with JetStream under
// store.dir) that omswatch starts when nats.url is empty. It listens on
// loopback only unless AllowNonLoopback says otherwise: it has no auth.
type Embedded struct {
	Host             string   `yaml:"host"`
	Port             int      `yaml:"port"`
	MaxPayload       ByteSize `yaml:"max_payload"`
	AllowNonLoopback bool     `yaml:"allow_non_loopback"`
}

// NATSTarget publishes events (CloudEvents JSON) to subjects made from a
// template, on core NATS or, with JetStream, into a stream with acks.
type NATSTarget struct {
	Subject   Template `yaml:"subject"`
	JetStream bool     `yaml:"jetstream"`
	Stream    string   `yaml:"stream"`
}

// IsEmbedded reports whether omswatch runs its own NATS server.
func (n NATS) IsEmbedded() bool { return n.URL == "" }

// maxNATSPayload is nats-server's hard limit on max_payload.
const maxNATSPayload = 64 << 20

func (n *NATS) validate(v *validator) {
	if n.URL == "" {
		n.Embedded.validate(v)
		for _, k := range []string{"creds_file", "nkey_file", "user", "password", "token", "tls"} {
			if p := secretPath(v, "nats."+k); v.set(p) {
				v.keyErrorf(p, "is only used with nats.url (an external server); the embedded server has no auth")
			}
		}
	} else {
		n.validateExternal(v)
	}
	for _, name := range sortedKeys(n.Targets) {
		t := n.Targets[name]
		t.validate(v, joinPath("nats.targets", name))
	}
}

func (e *Embedded) validate(v *validator) {
	const p = "nats.embedded"
	ip := net.ParseIP(e.Host)
	loopback := e.Host == "localhost" || (ip != nil && ip.IsLoopback())
	if e.Host == "" {
		v.errorf(p+".host", "is empty; want 127.0.0.1 (or an address, with allow_non_loopback: true)")
	} else if !loopback && !e.AllowNonLoopback {
		v.errorf(p+".host", "%q is not a loopback address; the embedded server has no auth, so anyone who can reach it can read and publish events; set allow_non_loopback: true if you mean it", e.Host)
	}
	if e.Port != -1 && (e.Port < 1 || e.Port > 65535) {
		v.errorf(p+".port", "%d is out of range; want 1 to 65535, or -1 for a random free port", e.Port)
	}
	if e.MaxPayload < 1024 || e.MaxPayload > maxNATSPayload {
		v.errorf(p+".max_payload", "%s is out of range; want 1KiB to 64MiB", e.MaxPayload)
	}
}

func (n *NATS) validateExternal(v *validator) {
	if v.set("nats.embedded") {
		v.keyErrorf("nats.embedded", "is only used when nats.url is empty; with a url omswatch connects to that server instead")
	}
	for _, raw := range strings.Split(n.URL, ",") {
		u, err := url.Parse(strings.TrimSpace(raw))
		switch {
		case err != nil || u.Host == "":
			v.errorf("nats.url", "is not a NATS URL (or comma-separated list of them); want e.g. nats://nats.example.com:4222")
		case u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss":
			v.errorf("nats.url", "scheme %q is not allowed; want nats, tls, ws or wss", u.Scheme)
		case u.User != nil:
			v.errorf("nats.url", "must not carry credentials; use nats.user and nats.password, nats.token, creds_file or nkey_file")
		}
	}
	var methods []string
	if n.CredsFile != "" {
		methods = append(methods, "creds_file")
	}
	if n.NKeyFile != "" {
		methods = append(methods, "nkey_file")
	}
	if n.User != "" || !n.Password.IsZero() {
		methods = append(methods, "user/password")
		if n.User == "" || n.Password.IsZero() {
			v.errorf("nats.user", "user and password go together; set both (password or password_file)")
		}
	}
	if !n.Token.IsZero() {
		methods = append(methods, "token")
	}
	if len(methods) > 1 {
		v.errorf("nats", "has more than one way to authenticate (%s); keep one", strings.Join(methods, ", "))
	}
	n.TLS.validate(v, "nats.tls")
}

func (t *NATSTarget) validate(v *validator, path string) {
	if strings.TrimSpace(t.Subject.Text) == "" {
		v.errorf(path+".subject", "is empty; leave it out for the default %s", DefaultSubject)
	} else {
		v.checkTemplate(path+".subject", t.Subject)
	}
	if t.Stream != "" {
		if !t.JetStream {
			v.errorf(path+".stream", "is only used with jetstream: true")
		}
		if !bucketPattern().MatchString(t.Stream) {
			v.errorf(path+".stream", "%q is not a stream name; use letters, digits, '_' and '-'", t.Stream)
		}
	}
}
