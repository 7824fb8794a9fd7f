package console

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Auth says who may read and write. Reads are open only when OpenReads is
// set (the service sets it when the console listens on loopback); writes
// always need a user, whichever way they were identified.
type Auth struct {
	// Users are HTTP basic users: name -> bcrypt hash.
	Users map[string]string
	// BearerToken, if set, identifies a request carrying
	// "Authorization: Bearer <token>" as the user BearerUser ("token").
	BearerToken, BearerUser string
	// TrustedProxies are the addresses whose X-Forwarded-User (or
	// X-Forwarded-Email) header names the user; from anywhere else the
	// header is ignored.
	TrustedProxies []netip.Prefix
	// OpenReads lets anyone read.
	OpenReads bool
}

func (a Auth) validate() error {
	for name, hash := range a.Users {
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return fmt.Errorf("console user %s: the password hash is not a bcrypt hash (make one with `htpasswd -nbB user password`): %w", name, err)
		}
	}
	return nil
}

// Required says whether the console can be reached at all: off loopback
// it needs a way to identify users.
func (a Auth) Required() bool { return !a.OpenReads }

// Configured says whether any way to identify a user is set.
func (a Auth) Configured() bool {
	return len(a.Users) > 0 || a.BearerToken != "" || len(a.TrustedProxies) > 0
}

// authenticator identifies requests. Basic passwords that matched are
// remembered (by their SHA-256 with a per-process key) so that a page and
// its assets do not pay bcrypt's deliberate cost each.
type authenticator struct {
	a   Auth
	key []byte // HMAC key: the password cache and CSRF tokens

	mu sync.Mutex
	ok map[string]string // HMAC(user:password) -> user
}

func newAuthenticator(a Auth, key []byte) *authenticator {
	if a.BearerUser == "" {
		a.BearerUser = "token"
	}
	return &authenticator{a: a, key: key, ok: map[string]string{}}
}

// user returns the request's authenticated user, or "".
func (au *authenticator) user(r *http.Request) string {
	if len(au.a.TrustedProxies) > 0 {
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil && au.trusted(ap.Addr().Unmap()) {
			if u := cmp.Or(r.Header.Get("X-Forwarded-User"), r.Header.Get("X-Forwarded-Email")); u != "" {
				return u
			}
		}
	}
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok && au.a.BearerToken != "" {
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(au.a.BearerToken)) == 1 {
			return au.a.BearerUser
		}
		return ""
	}
	name, pass, ok := r.BasicAuth()
	if !ok {
		return ""
	}
	hash, known := au.a.Users[name]
	if !known {
		return ""
	}
	sum := au.mac("basic\x00" + name + "\x00" + pass + "\x00" + hash)
	au.mu.Lock()
	u, hit := au.ok[sum]
	au.mu.Unlock()
	if hit {
		return u
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(pass)) != nil {
		return ""
	}
	au.mu.Lock()
	if len(au.ok) > 1000 {
		clear(au.ok)
	}
	au.ok[sum] = name
	au.mu.Unlock()
	return name
}

func (au *authenticator) trusted(ip netip.Addr) bool {
	for _, p := range au.a.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (au *authenticator) mac(s string) string {
	m := hmac.New(sha256.New, au.key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// csrfToken is the token a user's forms carry: bound to the user and to
// this process (a restart asks for the form again).
func (au *authenticator) csrfToken(user string) string {
	if user == "" {
		return ""
	}
	return au.mac("csrf\x00" + user)
}

func (au *authenticator) csrfValid(user, token string) bool {
	return user != "" && hmac.Equal([]byte(token), []byte(au.csrfToken(user)))
}

// challenge asks the browser for credentials when basic users exist.
func (au *authenticator) challenge(w http.ResponseWriter) {
	if len(au.a.Users) > 0 {
		w.Header().Set("WWW-Authenticate", `Basic realm="omswatch console", charset="UTF-8"`)
	}
}

// IsLoopback reports whether listen (host:port) accepts only loopback
// connections: 127.0.0.0/8, ::1 or localhost.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// ParseProxies reads trusted proxy addresses: an IP or a CIDR prefix each.
func ParseProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix (10.0.0.0/8)", s)
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return out, nil
}
