package omssim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// APIVersion is the only OceanBasePro API version the simulator speaks.
const APIVersion = "2019-09-01"

// Actions the simulator implements.
const (
	ActionDescribeProject = "DescribeProject"
	ActionListProjects    = "ListProjects"
)

// DefaultTick is how long a tick lasts when Options.Tick is zero.
const DefaultTick = 2 * time.Second

// maxBody caps request bodies; real OMS requests are a few hundred bytes.
const maxBody = 1 << 20

// AccessKey is an Alibaba Cloud AccessKey pair the cloud API accepts.
type AccessKey struct {
	ID     string
	Secret string
}

// BasicCredential is a user the on-premise API (HTTP Basic) accepts.
type BasicCredential struct {
	User     string
	Password string
}

// Options configure a Server.
type Options struct {
	// Scenario serves the projects. Required.
	Scenario Scenario
	// AccessKeys are accepted by the cloud API (V1 and V3 signatures).
	AccessKeys []AccessKey
	// BasicAuth users are accepted by the on-premise API, and by the control
	// endpoint for clients that are not on loopback.
	BasicAuth []BasicCredential
	// Faults are the initial fault rules; change them with SetFaults.
	Faults []Fault
	// Seed seeds the fault RNG and the RequestId sequence.
	Seed int64
	// Tick is how long a tick lasts (default DefaultTick). In real-time mode
	// a tick passes every Tick; time-based replay counts each manual tick as Tick.
	Tick time.Duration
	// ManualClock stops real time from advancing ticks: only Advance (or
	// POST /_sim/advance) moves them. For tests.
	ManualClock bool
	// Start is when tick 0 was (default: now). A simulator started again
	// with the same Start (and scenario) resumes where the first one was,
	// as a real OMS goes on while its watcher restarts.
	Start time.Time
	// Now is the time source for the clock, timestamp checks and nonce
	// expiry (default time.Now).
	Now func() time.Time
	// Logger receives one line per request (default: discard).
	Logger *slog.Logger
	// NonceCapacity bounds the remembered signature nonces (default 100,000).
	NonceCapacity int
}

func (o *Options) validate() error {
	var errs []error
	if o.Scenario == nil {
		errs = append(errs, errors.New("a Scenario is required"))
	}
	for i, k := range o.AccessKeys {
		if k.ID == "" || k.Secret == "" {
			errs = append(errs, fmt.Errorf("access key %d: id and secret must both be set", i+1))
		}
	}
	for i, c := range o.BasicAuth {
		if c.User == "" || strings.Contains(c.User, ":") {
			errs = append(errs, fmt.Errorf("basic auth user %d: the user must be non-empty and contain no ':'", i+1))
		}
	}
	if o.Tick < 0 {
		errs = append(errs, fmt.Errorf("tick %s: must not be negative", o.Tick))
	}
	if err := validateFaults(o.Faults); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func validateFaults(fs []Fault) error {
	var errs []error
	for i, f := range fs {
		switch {
		case !validKind(f.Kind):
			errs = append(errs, fmt.Errorf("fault %d: unknown kind %q (want one of %s)", i+1, f.Kind, kindList()))
		case f.Count < 0:
			errs = append(errs, fmt.Errorf("fault %d: count %d is negative", i+1, f.Count))
		case f.Count == 0 && !(f.Rate > 0 && f.Rate <= 1):
			errs = append(errs, fmt.Errorf("fault %d: rate %g: want 0 < rate <= 1 (or a count)", i+1, f.Rate))
		case f.Kind == FaultLatency && f.Duration <= 0:
			errs = append(errs, fmt.Errorf("fault %d: latency needs a positive duration", i+1))
		}
	}
	return errors.Join(errs...)
}

// Server is the OMS simulator. It is an http.Handler; see Handler.
type Server struct {
	scenario Scenario
	clock    *clock
	verifier *verifier
	faults   *faultSet
	basic    []BasicCredential
	log      *slog.Logger
	seed     int64
	seq      atomic.Uint64 // request sequence, for RequestIds
	requests atomic.Int64  // OMS API requests answered, for /_sim/state

	lists listCache // the last tick's filtered, sorted ListProjects answer

	done      chan struct{} // closed by Close: releases held requests
	closeOnce sync.Once
}

// New builds a Server. Its clock starts now.
func New(opts Options) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("omssim: %w", err)
	}
	if opts.Tick == 0 {
		opts.Tick = DefaultTick
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.NonceCapacity <= 0 {
		opts.NonceCapacity = 100_000
	}
	secrets := make(map[string]string, len(opts.AccessKeys))
	for _, k := range opts.AccessKeys {
		secrets[k.ID] = k.Secret
	}
	return &Server{
		scenario: opts.Scenario,
		clock:    newClock(opts.Now, opts.Start, opts.Tick, opts.ManualClock),
		verifier: &verifier{secrets: secrets, now: opts.Now, nonces: newNonceCache(maxSkew, opts.NonceCapacity)},
		faults:   newFaultSet(opts.Seed, opts.Faults),
		basic:    append([]BasicCredential(nil), opts.BasicAuth...),
		log:      opts.Logger.With("component", "omssim"),
		seed:     opts.Seed,
		done:     make(chan struct{}),
	}, nil
}

// Handler returns the simulator's HTTP handler: the cloud RPC API on "/",
// the on-premise API on "/api/v2", the control endpoint under "/_sim/".
func (s *Server) Handler() http.Handler { return s }

// Close releases requests held by latency and timeout faults, so an
// http.Server can shut down without waiting for them. The Server keeps
// answering other requests.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.done) }) }

// Moment is the simulator's current tick and elapsed time.
func (s *Server) Moment() Moment { return s.clock.moment() }

// Advance moves the clock n ticks forward.
func (s *Server) Advance(n int64) { s.clock.advance(n) }

// SetFaults replaces the fault rules. Count rules start afresh; the RNG
// sequence continues.
func (s *Server) SetFaults(fs []Fault) error {
	if err := validateFaults(fs); err != nil {
		return fmt.Errorf("omssim: %w", err)
	}
	s.faults.set(fs)
	return nil
}

// Faults returns the current fault rules, count rules with what remains of
// their count; used-up count rules are left out.
func (s *Server) Faults() []Fault { return s.faults.list() }

// ServeHTTP routes a request and logs it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := s.newExchange(w, r)
	defer s.logExchange(x)
	switch p := r.URL.Path; {
	case p == "/_sim" || strings.HasPrefix(p, "/_sim/"):
		s.serveControl(x)
	case p == "/api/v2":
		x.spelling = oms.OnPrem
		s.serveOnPrem(x)
	case p == "/":
		s.serveCloud(x)
	default:
		x.gateway(gwErr(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."))
	}
}

// logExchange writes the request's log line; it never logs credentials.
// A handler that drops the connection panics with http.ErrAbortHandler:
// that is logged and passed on.
func (s *Server) logExchange(x *exchange) {
	p := recover()
	attrs := []any{
		"method", x.r.Method, "path", x.r.URL.Path, "remote", x.r.RemoteAddr,
		"status", x.status, "duration", time.Since(x.started).Round(time.Microsecond), "request_id", x.requestID,
	}
	for _, kv := range [][2]string{{"protocol", x.protocol}, {"action", x.action}, {"project", x.project},
		{"principal", x.principal}, {"fault", x.fault}, {"error_code", x.errorCode}} {
		if kv[1] != "" {
			attrs = append(attrs, kv[0], kv[1])
		}
	}
	if p != nil {
		attrs = append(attrs, "dropped", true)
	}
	s.log.Info("request", attrs...)
	if p != nil {
		panic(p)
	}
}
