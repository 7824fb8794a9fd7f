package console

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/rules"
)

// History reads a project's events from the audit trail.
type History interface {
	// Events returns the project's events stored since since, oldest
	// first; none (and no error) when the trail holds none.
	Events(ctx context.Context, project string, since time.Time) ([]Stored, error)
}

// Stored is an event as the audit trail holds it, with what became of it
// (the decision records in words: routes, mutes, deliveries), if recorded.
type Stored struct {
	Seq       uint64
	Event     event.Event
	Decisions []string
}

// Snapshots reads a project's current canonical snapshot from the store.
type Snapshots interface {
	// Snapshot returns the stored snapshot; an error when there is none.
	Snapshot(ctx context.Context, source, project string) (*oms.Snapshot, error)
}

// Telemetry is what the project page reads of the time before the
// fleet's memory of a project begins (a restart; the 7 d window): its
// snapshots as the service observed them (the observation log).
type Telemetry interface {
	// Snapshots calls fn with the project's snapshots observed in
	// [from, to), oldest first, at most about max of them spread over the
	// span; none (and no error) when none are kept.
	Snapshots(ctx context.Context, source, project string, from, to time.Time, max int,
		fn func(observed time.Time, s *oms.Snapshot)) error
}

// Silences is the silence bucket, as `omswatch silence` uses it.
type Silences interface {
	List(ctx context.Context) ([]rules.Silence, error)
	// Put stores a silence after checking it; its error says what is wrong.
	Put(ctx context.Context, s rules.Silence) error
	Expire(ctx context.Context, id string, now time.Time) (rules.Silence, error)
}

// Recorder writes what a user did into the audit trail.
type Recorder interface {
	// Record stores e durably; an error means it was not recorded.
	Record(ctx context.Context, e event.Event) error
}

// Threshold is a delay a condition compares with, drawn on the chart of
// the projects it applies to (Importance "": all).
type Threshold struct {
	Condition, Importance string
	Delay                 time.Duration
}

// Options build a Console. Fleet and Live are required; a nil History,
// Snapshots or Silences leaves that part of the pages empty with a note.
type Options struct {
	Fleet     *Fleet
	Live      *Live
	History   History
	Snapshots Snapshots
	// Telemetry may be nil: the charts show what this process saw.
	Telemetry Telemetry
	Silences  Silences
	Audit     Recorder
	// Incidents is nil when incidents are off (incidents.enabled: false):
	// the incidents page says so.
	Incidents  Incidents
	Auth       Auth
	Thresholds []Threshold
	Logger     *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *Options) validate() error {
	if o.Fleet == nil || o.Live == nil {
		return errors.New("console: a fleet and a live broker are required")
	}
	if o.Auth.Required() && !o.Auth.Configured() {
		return errors.New("console: it listens beyond loopback, so it needs http.console.users, bearer_token or trusted_proxies (or http.console.enabled: false)")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o.Auth.validate()
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Console serves the pages.
type Console struct {
	o     Options
	log   *slog.Logger
	auth  *authenticator
	pages map[string]*template.Template
}

// New checks the options and parses the templates.
func New(o Options) (*Console, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("console: random key: %w", err)
	}
	c := &Console{o: o, log: o.Logger.With("component", "console"), auth: newAuthenticator(o.Auth, key),
		pages: map[string]*template.Template{}}
	for _, p := range []string{"fleet", "project", "silences", "incidents", "error"} {
		t, err := template.New(p).Funcs(c.funcs()).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", p, err)
		}
		c.pages[p] = t
	}
	return c, nil
}

// Register adds the console's routes to mux. The paths leave /metrics,
// /healthz and /readyz to the service.
func (c *Console) Register(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.Handle("GET /static/", c.read(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600") // the pages, not their assets, must be fresh
		files.ServeHTTP(w, r)
	})))
	mux.Handle("GET /{$}", c.read(http.HandlerFunc(c.serveFleet)))
	mux.Handle("GET /projects/{id}", c.read(http.HandlerFunc(c.serveProject)))
	mux.Handle("GET /silences", c.read(http.HandlerFunc(c.serveSilences)))
	mux.Handle("GET /incidents", c.read(http.HandlerFunc(c.serveIncidents)))
	mux.Handle("GET /live", c.read(http.HandlerFunc(c.serveLive)))
	mux.Handle("GET /login", c.secure(http.HandlerFunc(c.serveLogin)))
	mux.Handle("POST /silences", c.write(http.HandlerFunc(c.createSilence)))
	mux.Handle("POST /silences/{id}/expire", c.write(http.HandlerFunc(c.expireSilence)))
	mux.Handle("POST /incidents/{id}/ack", c.write(http.HandlerFunc(c.ackIncident)))
}

type ctxKey struct{}

// userOf is the request's authenticated user ("" when anonymous).
func userOf(r *http.Request) string {
	u, _ := r.Context().Value(ctxKey{}).(string)
	return u
}

// secure sets the security headers and identifies the user.
func (c *Console) secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		user := c.auth.user(r)
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, user)))
	})
}

// read lets a request through if reads are open or it has a user.
func (c *Console) read(h http.Handler) http.Handler {
	return c.secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.o.Auth.OpenReads && userOf(r) == "" {
			c.auth.challenge(w)
			c.fail(w, r, http.StatusUnauthorized, "Log in to see the console: this address needs a user (basic, a bearer token, or your proxy's login).")
			return
		}
		h.ServeHTTP(w, r)
	}))
}

// write needs a user, a same-origin request (the browser's Sec-Fetch-Site
// or Origin: http.CrossOriginProtection) and the user's CSRF token.
func (c *Console) write(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user := userOf(r)
		if user == "" {
			c.auth.challenge(w)
			c.fail(w, r, http.StatusUnauthorized, "Changes need a logged-in user: log in first (the Log in link at the top).")
			return
		}
		if !c.auth.csrfValid(user, r.PostFormValue("csrf")) {
			c.fail(w, r, http.StatusForbidden, "The form is stale or did not come from this console (CSRF check): open the page again and resubmit.")
			return
		}
		h.ServeHTTP(w, r)
	})
	return c.secure(cop.Handler(inner))
}

// serveLogin asks for credentials, then goes back where the user was.
func (c *Console) serveLogin(w http.ResponseWriter, r *http.Request) {
	if userOf(r) == "" && !c.o.Auth.Configured() {
		c.fail(w, r, http.StatusUnauthorized, noUsers)
		return
	}
	if userOf(r) == "" {
		c.auth.challenge(w)
		c.fail(w, r, http.StatusUnauthorized, "Not logged in. With basic users your browser asks for a name and password; with a bearer token or a proxy, it sends them itself.")
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// noUsers says how to be able to log in at all.
const noUsers = "No console users are configured, so nobody can log in: add http.console.users (name: bcrypt hash, " +
	"from `htpasswd -nbB NAME PASSWORD`) to the configuration and restart, or silence from the command line " +
	"with `omswatch silence add`."

// page is what every template gets.
type page struct {
	Title, Nav string
	User, CSRF string
	// NoUsers says nobody can log in (no way to identify users is set).
	NoUsers bool
	Now     time.Time
	Data    any
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	user := userOf(r)
	p := page{Title: title, Nav: name, User: user, CSRF: c.auth.csrfToken(user), Now: c.o.Now(), Data: data,
		NoUsers: !c.o.Auth.Configured()}
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		c.log.Error("render a page", "page", name, "error", err)
		http.Error(w, "the page could not be rendered; the log says why", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept-Encoding")
	body := buf.Bytes()
	if len(body) > 4096 && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		// A fleet page of 100 rows is ~100 KB of repetitive HTML; gzipped
		// about a tenth, which a remote DBA's link notices.
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
		if _, err := zw.Write(body); err == nil && zw.Close() == nil {
			w.Header().Set("Content-Encoding", "gzip")
			body = gz.Bytes()
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.render(w, r, status, "error", http.StatusText(status), msg)
}
