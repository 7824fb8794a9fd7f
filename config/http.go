package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"sync"

	"github.com/omswatch/omswatch/secret"
)

// HTTP is the metrics and health server (/metrics, /healthz, /readyz) and
// the web console it serves. An empty Listen turns both off.
type HTTP struct {
	Listen  string  `yaml:"listen"`
	Console Console `yaml:"console"`
}

// Console is the web console's access. On a loopback listen address
// reading is open; anywhere else it needs one of Users, BearerToken or
// TrustedProxies. Changes (silences) always need a user.
type Console struct {
	Enabled bool `yaml:"enabled"`
	// Users are HTTP basic users: name -> bcrypt hash.
	Users map[string]string `yaml:"users"`
	// BearerToken identifies requests with "Authorization: Bearer <token>"
	// as the user BearerUser.
	BearerToken secret.String `yaml:"bearer_token"`
	BearerUser  string        `yaml:"bearer_user"`
	// TrustedProxies are the IPs or CIDR prefixes whose X-Forwarded-User
	// or X-Forwarded-Email header names the user.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// bcryptPattern is what a bcrypt hash looks like ($2a$, $2b$ or $2y$, a
// cost, 53 characters of salt and hash).
var bcryptPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$`) })

func (h *HTTP) validate(v *validator) {
	if h.Listen != "" {
		v.hostPort("http.listen", h.Listen)
	}
	c := h.Console
	for name, hash := range c.Users {
		if !bcryptPattern().MatchString(hash) {
			v.errorf("http.console.users."+name, "not a bcrypt hash; make one with `htpasswd -nbB %s PASSWORD` (the part after the colon)", name)
		}
	}
	for i, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			v.errorf(fmt.Sprintf("http.console.trusted_proxies[%d]", i), "%q is not an IP address or a CIDR prefix such as 10.0.0.0/8", p)
		}
	}
	if c.BearerToken.Reveal() != "" && len(c.BearerToken.Reveal()) < 16 {
		v.errorf("http.console.bearer_token", "too short to be guessed hard: use at least 16 characters (e.g. `openssl rand -hex 24`)")
	}
	if c.BearerUser != "" && strings.TrimSpace(c.BearerUser) != c.BearerUser {
		v.errorf("http.console.bearer_user", "%q has spaces around it", c.BearerUser)
	}
}
