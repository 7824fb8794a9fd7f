package omsapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/omswatch/omswatch/internal/ctxsleep"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/secret"
)

// Recorder keeps every raw DescribeProject answer, for replay (see
// NewRecordingWriter). Record must be safe for concurrent use; an error is
// logged and does not fail the call.
type Recorder interface {
	Record(at time.Time, source, project string, body []byte) error
}

// Options configure a Client.
type Options struct {
	// Transport sends the requests (NewCloud or NewOnPrem). Required.
	Transport Transport
	// Source names where the projects live (oms://<region>,
	// oms+onprem://<host>); recordings and logs carry it. Required.
	Source string
	// QPS bounds requests per second for the whole account/endpoint.
	QPS float64
	// MaxInFlight bounds requests at the same time.
	MaxInFlight int
	// Timeout bounds each request (each try).
	Timeout time.Duration
	// Retry bounds retries of transient failures within one call.
	Retry RetryPolicy
	// Recorder, when set, receives every DescribeProject answer.
	Recorder Recorder
	// Redactor masks secrets in logged errors (may be nil).
	Redactor *secret.Redactor
	// Logger receives the client's log lines (default: discard).
	Logger *slog.Logger
	// ReuseCacheBytes bounds the memory kept to parse a project's next
	// DescribeProject answer faster (see reuseCache): 0 means
	// DefaultReuseCacheBytes, a negative value keeps nothing.
	ReuseCacheBytes int64
}

func (o *Options) validate() error {
	var errs []error
	if o.Transport == nil {
		errs = append(errs, errors.New("a Transport is required"))
	}
	if o.Source == "" {
		errs = append(errs, errors.New("a Source is required"))
	}
	if o.QPS <= 0 {
		errs = append(errs, fmt.Errorf("qps %g: must be more than 0", o.QPS))
	}
	if o.MaxInFlight < 1 {
		errs = append(errs, fmt.Errorf("max in flight %d: must be at least 1", o.MaxInFlight))
	}
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout %s: must be more than 0", o.Timeout))
	}
	if o.Retry.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("retry max attempts %d: must be at least 1", o.Retry.MaxAttempts))
	}
	return errors.Join(errs...)
}

// Client is the OMS client: DescribeProject and ListProjects over a
// Transport, within a global rate (lowered while OMS throttles) and a bound
// on requests in flight, each try under its own timeout, transient failures
// retried with exponential backoff and jitter. It is the poller's Fetcher
// and Lister (without knowing them: the poller declares what it needs) and
// is safe for concurrent use.
type Client struct {
	opts     Options
	throttle *throttle
	slots    chan struct{}
	log      *slog.Logger
	reuse    *reuseCache // the last snapshots parsed, to reuse (nil: disabled)

	calls     sync.Map // action -> *atomic.Int64
	throttles atomic.Int64

	mu        sync.Mutex
	permanent error // the last permanent failure, until a call succeeds
}

// New builds a Client.
func New(o Options) (*Client, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("oms api: %w", err)
	}
	if o.Logger == nil {
		o.Logger = discardLogger()
	}
	return &Client{
		opts: o, throttle: newThrottle(o.QPS), slots: make(chan struct{}, o.MaxInFlight),
		log: o.Logger.With("component", "oms_api", "source", o.Source), reuse: newReuseCache(o.ReuseCacheBytes),
	}, nil
}

// Source is where the client's projects live.
func (a *Client) Source() string { return a.opts.Source }

// Fetch calls DescribeProject and returns the project's canonical
// snapshot. Errors are *oms.APIError (oms.IsProjectNotFound,
// oms.IsPermanent...), *oms.MalformedError, *TransportError or
// *CredentialsError, after the retries the policy allows.
func (a *Client) Fetch(ctx context.Context, id string) (*oms.Snapshot, error) {
	var snap *oms.Snapshot
	err := a.call(ctx, ActionDescribeProject, map[string]any{"Id": id}, func(r *Response) error {
		s, err := decodeSnapshot(r, reuseKey{a.opts.Source, id}, a.reuse)
		if a.opts.Recorder != nil && recordable(r, err) {
			if rerr := a.opts.Recorder.Record(time.Now(), a.opts.Source, id, r.Body); rerr != nil {
				a.log.Warn("recording failed", "project", id, "error", rerr)
			}
		}
		snap = s
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("describe project %s: %w", id, err)
	}
	return snap, nil
}

// decodeSnapshot reads a DescribeProject answer for the project of key,
// parsed reusing what it can of the project's last snapshot in reuse (nil:
// disabled), which then keeps the new one if it is good.
func decodeSnapshot(r *Response, key reuseKey, reuse *reuseCache) (*oms.Snapshot, error) {
	if r.Status/100 != 2 {
		_, err := oms.DecodeEnvelope(r.Status, r.Body)
		return nil, err
	}
	s, err := reuse.parse(key, r.Body)
	if err != nil {
		return nil, err
	}
	if got, id := s.ID(), key.project; got != id {
		return nil, &oms.MalformedError{HTTPStatus: r.Status, Reason: fmt.Sprintf("asked for project %s, the answer is for %q", id, got)}
	}
	reuse.put(key, s, len(r.Body))
	return s, nil
}

// recordable reports whether an answer belongs in a recording: a 2xx JSON
// envelope, successful or a business error (replayed as that error).
// Gateway errors, truncated and non-JSON bodies cannot be replayed.
func recordable(r *Response, err error) bool {
	if r.Status/100 != 2 {
		return false
	}
	var ae *oms.APIError
	return err == nil || errors.As(err, &ae)
}

// List calls ListProjects for one page.
func (a *Client) List(ctx context.Context, q oms.ListQuery, page int) (*oms.ProjectPage, error) {
	var pg *oms.ProjectPage
	err := a.call(ctx, ActionListProjects, listParams(q, page), func(r *Response) error {
		p, err := oms.DecodeProjectList(r.Status, r.Body)
		pg = p
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list projects page %d: %w", page, err)
	}
	return pg, nil
}

// listParams are the request parameters of q for page (from 1). Projects
// are listed oldest first (gmtCreate ascending), so a project created while
// the pages are read lands on the last page instead of shifting the others.
func listParams(q oms.ListQuery, page int) map[string]any {
	p := map[string]any{
		"PageNumber": page, "PageSize": q.PageSize, "NeedRelatedInfo": q.Related,
		"SortField": "gmtCreate", "Order": "asc",
	}
	set := func(k string, v []string) {
		if len(v) > 0 {
			p[k] = v
		}
	}
	set("Status", q.Statuses)
	set("LabelIds", q.LabelIDs)
	set("SourceEndpointTypes", q.SourceEndpointTypes)
	set("SinkEndpointTypes", q.SinkEndpointTypes)
	if len(q.Types) == 1 {
		p["Type"] = q.Types[0]
	}
	if q.SearchKey != "" {
		p["SearchKey"] = q.SearchKey
	}
	return p
}

// call sends one request, decodes its answer with decode and retries as
// the failure allows.
func (a *Client) call(ctx context.Context, action string, params map[string]any, decode func(*Response) error) error {
	for attempt := 1; ; attempt++ {
		err := a.try(ctx, action, params, decode)
		if err == nil {
			a.throttle.succeeded()
			a.clearPermanent()
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		wait := a.opts.Retry.backoff(attempt)
		switch classify(err) {
		case failPermanent:
			a.setPermanent(err)
			return err
		case failFinal:
			return err
		case failThrottled:
			a.throttles.Add(1)
			hint := retryAfter(err)
			a.throttle.throttled(hint)
			wait = max(wait, hint)
		}
		if attempt >= a.opts.Retry.MaxAttempts {
			return err
		}
		a.log.Debug("retrying", "action", action, "attempt", attempt, "wait", wait, "error", a.redact(err))
		if err := ctxsleep.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// try is one attempt: wait for the rate and a slot, send, decode.
func (a *Client) try(ctx context.Context, action string, params map[string]any, decode func(*Response) error) error {
	if err := a.throttle.wait(ctx); err != nil {
		return err
	}
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-a.slots }()
	a.counter(action).Add(1)
	tctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	r, err := a.opts.Transport.Do(tctx, action, params)
	if err != nil {
		return err
	}
	if err := decode(r); err != nil {
		return &answerError{err: err, retryAfter: r.RetryAfter}
	}
	return nil
}

// answerError carries the rate-limit hint of a failed answer beside the
// decoded error.
type answerError struct {
	err        error
	retryAfter time.Duration
}

func (e *answerError) Error() string { return e.err.Error() }
func (e *answerError) Unwrap() error { return e.err }

func retryAfter(err error) time.Duration {
	var ae *answerError
	if errors.As(err, &ae) {
		return ae.retryAfter
	}
	return 0
}

func (a *Client) counter(action string) *atomic.Int64 {
	if c, ok := a.calls.Load(action); ok {
		return c.(*atomic.Int64)
	}
	c, _ := a.calls.LoadOrStore(action, new(atomic.Int64))
	return c.(*atomic.Int64)
}

// setPermanent remembers a permanent failure for Ready and logs it once
// (again only when the reason changes). A refusal of the whole account
// (oms.IsRefused) is logged at debug level: the caller pauses the account
// and says so in its own words (the poller: once, with the probe interval).
func (a *Client) setPermanent(err error) {
	a.mu.Lock()
	prev := a.permanent
	a.permanent = err
	a.mu.Unlock()
	if prev == nil || oms.ErrorCode(prev) != oms.ErrorCode(err) {
		a.log.Log(context.Background(), levelOf(err, slog.LevelError),
			"OMS refuses omswatch's requests; polls cannot succeed until the configuration or the account is fixed",
			"error_code", oms.ErrorCode(err), "error", a.redact(err))
	}
}

func (a *Client) clearPermanent() {
	a.mu.Lock()
	prev := a.permanent
	a.permanent = nil
	a.mu.Unlock()
	if prev != nil {
		a.log.Log(context.Background(), levelOf(prev, slog.LevelInfo), "OMS accepts omswatch's requests again")
	}
}

// levelOf is the level of a log line about a permanent failure: debug for
// a refusal of the account, which the caller reports, else def.
func levelOf(err error, def slog.Level) slog.Level {
	if oms.IsRefused(err) {
		return slog.LevelDebug
	}
	return def
}

// Ready returns nil while OMS accepts the client's requests, and the last
// permanent failure (bad signature, unknown key, forbidden, no
// credentials) from the moment one happens until a request succeeds.
func (a *Client) Ready() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.permanent != nil {
		return fmt.Errorf("OMS API not usable: %s", a.redact(a.permanent))
	}
	return nil
}

// Stats are a client's counters since it was built.
type Stats struct {
	// Calls counts requests sent (every try) by action.
	Calls map[string]int64
	// Throttled counts throttling answers.
	Throttled int64
	// Rate is the current request rate limit, per second.
	Rate float64
}

// Stats returns the counters.
func (a *Client) Stats() Stats {
	s := Stats{Calls: map[string]int64{}, Throttled: a.throttles.Load(), Rate: a.throttle.limit()}
	a.calls.Range(func(k, v any) bool {
		s.Calls[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return s
}

// redact is the error's text with every registered secret masked.
func (a *Client) redact(err error) string { return a.opts.Redactor.Redact(err.Error()) }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
