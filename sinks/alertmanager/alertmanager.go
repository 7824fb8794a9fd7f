// Package alertmanager is the Prometheus Alertmanager target: each incident
// (oms.incident.*) is one alert, posted to /api/v2/alerts while it fires
// and once more, with endsAt at its resolution, when it resolves. Other
// events are not alerts: a route that sends them here has them skipped.
package alertmanager

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

// AlertName is the alertname label of every alert omswatch posts.
const AlertName = "OmswatchIncident"

// identityLabels are the labels that identify an incident's alert; they
// do not change during its life, so every post is the same alert.
var identityLabels = []string{"alertname", "incident", "cause", "project", "project_name", "source"}

// endsAhead is how many resend intervals a firing alert's endsAt lies ahead.
const endsAhead = 4

// maxFiring bounds the alerts kept for resending.
const maxFiring = 10000

// Alert is one alert of Alertmanager's API v2.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Options are what a target needs beyond its configuration.
type Options struct {
	// Redactor learns the URL, so errors never show it.
	Redactor *secret.Redactor
	// ConsoleURL, if known, is the alerts' generatorURL.
	ConsoleURL string
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// firing is an alert that fires and when it was last posted.
type firing struct {
	alert  Alert
	posted time.Time
}

// Sink posts incidents to one Alertmanager. It is safe for concurrent use.
type Sink struct {
	name   string
	cfg    Config
	url    string
	client *http.Client
	o      Options

	// postMu orders posts: a resend never overtakes the resolution of its
	// alert (which would make it fire again).
	postMu sync.Mutex
	mu     sync.Mutex
	sent   map[string]bool    // events posted, so a retry of a batch skips them
	firing map[string]*firing // by incident id
}

// New checks cfg; the URL goes to the redactor.
func New(name string, cfg Config, o Options) (*Sink, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.ResendInterval == 0 {
		cfg.ResendInterval = defaultResendInterval
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("alertmanager target %s: %w", name, err)
	}
	if o.Redactor == nil {
		o.Redactor = &secret.Redactor{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Redactor.Add(cfg.URL)
	return &Sink{name: name, cfg: cfg, url: strings.TrimSuffix(cfg.URL.Reveal(), "/") + "/api/v2/alerts",
		client: &http.Client{Timeout: cfg.Timeout.Duration()}, o: o, sent: map[string]bool{}, firing: map[string]*firing{}}, nil
}

// Send posts the alert of each incident event of n on its own, in order;
// other events are skipped. An event Alertmanager refuses for good (a 4xx)
// does not stop the others: it is reported in a sinks.PartialError. A
// transient failure stops the batch there, for a retry in order.
func (s *Sink) Send(ctx context.Context, n sinks.Notification) error {
	var out sinks.EventOutcomes
	for _, e := range n.Events {
		if !strings.HasPrefix(e.Type, "oms.incident.") || s.wasSent(e.ID) {
			continue
		}
		a, ok := s.alert(e)
		if !ok {
			out.Refuse(e.ID, sinks.Permanent(fmt.Errorf("alertmanager %s: event %s has no incident id", s.name, e.ID)))
			continue
		}
		s.postMu.Lock()
		status, err := s.post(ctx, []Alert{a})
		if err == nil {
			s.markSent(e.ID, e.Data.Text("incident"), a, resolved(e))
		}
		s.postMu.Unlock()
		if !out.Record(ctx, &n, e.ID, status, err) {
			return out.Err(err)
		}
	}
	return out.Err(nil)
}

// Resend posts again, in one request, the firing alerts not posted for a
// resend interval, with endsAt moved ahead, so that Alertmanager does not
// resolve them.
func (s *Sink) Resend(ctx context.Context) error {
	s.postMu.Lock()
	defer s.postMu.Unlock()
	now := s.o.Now()
	interval := s.cfg.ResendInterval.Duration()
	s.mu.Lock()
	var due []Alert
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(s.firing)) {
		if f := s.firing[id]; now.Sub(f.posted) >= interval {
			f.alert.EndsAt = now.Add(endsAhead * interval).UTC()
			due = append(due, f.alert)
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	if len(due) == 0 {
		return nil
	}
	if _, err := s.post(ctx, due); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if f := s.firing[id]; f != nil {
			f.posted = now
		}
	}
	return nil
}

// Run resends the firing alerts every resend interval until ctx ends.
// It starts by adopting the alerts Alertmanager has from an earlier run
// (see Adopt) and posting them again at once: a restart, or another
// replica taking the delivery over, must not let an incident's alert
// expire for want of news of it.
func (s *Sink) Run(ctx context.Context) {
	if n, err := s.Adopt(ctx); err != nil {
		if ctx.Err() == nil {
			s.o.Logger.Warn("cannot read the alerts Alertmanager has; those posted before this start stay alive only with their incident's next event",
				"target", s.name, "err", err)
		}
	} else if n > 0 {
		s.o.Logger.Info("keeping the firing alerts of an earlier run alive", "target", s.name, "alerts", n)
		if err := s.Resend(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.Warn("alertmanager resend failed; retrying at the next interval", "target", s.name, "err", err)
		}
	}
	t := time.NewTicker(s.cfg.ResendInterval.Duration())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Resend(ctx); err != nil && ctx.Err() == nil {
				s.o.Logger.Warn("alertmanager resend failed; retrying at the next interval", "target", s.name, "err", err)
			}
		}
	}
}

// Adopt asks Alertmanager for the active omswatch alerts (GET
// /api/v2/alerts, alertname OmswatchIncident) and keeps those it does not
// know for resending, due at once; it returns how many it took. They are
// the alerts an earlier run (or another replica) posted: this sink's firing
// set lives in memory. An alert whose incident ended meanwhile resolves with
// its incident's resolved event, which the outbox still holds.
func (s *Sink) Adopt(ctx context.Context) (int, error) {
	q := url.Values{"active": {"true"}, "silenced": {"true"}, "inhibited": {"true"}, "unprocessed": {"true"},
		"filter": {`alertname="` + AlertName + `"`}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"?"+q.Encode(), nil)
	if err != nil {
		return 0, fmt.Errorf("alertmanager %s: %s", s.name, s.o.Redactor.Redact(err.Error()))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("alertmanager %s: %s", s.name, s.o.Redactor.Redact(err.Error()))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return 0, fmt.Errorf("alertmanager %s: listing alerts: HTTP %d", s.name, resp.StatusCode)
	}
	var alerts []Alert
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxListing)).Decode(&alerts); err != nil {
		return 0, fmt.Errorf("alertmanager %s: listing alerts: %w", s.name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, a := range alerts {
		id := a.Labels["incident"]
		if id == "" || a.Labels["alertname"] != AlertName || s.firing[id] != nil || len(s.firing) >= maxFiring {
			continue
		}
		s.firing[id] = &firing{alert: Alert{Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt,
			GeneratorURL: a.GeneratorURL}}
		n++
	}
	return n, nil
}

// maxListing bounds the answer Adopt reads: maxFiring alerts of a few
// kilobytes.
const maxListing = 64 << 20

// alert is the incident event e as an alert: firing with endsAt a few
// resend intervals ahead, or resolved at the event's time.
func (s *Sink) alert(e event.Event) (Alert, bool) {
	d := e.Data
	id := d.Text("incident")
	if id == "" {
		return Alert{}, false
	}
	labels := map[string]string{}
	for k, v := range s.cfg.Labels {
		labels[k] = v
	}
	for k, v := range map[string]string{"alertname": AlertName, "incident": id, "cause": d.Text("cause"),
		"project": d.Project.ID, "project_name": d.Project.Name, "source": e.Source} {
		if v != "" {
			labels[k] = v
		}
	}
	ann := map[string]string{"summary": d.Text("title"), "state": d.Text("state")}
	if spec, ok := event.Describe(e.Type); ok {
		ann["description"] = spec.What(d)
	}
	if e.Type != event.TypeIncidentAcknowledged && e.Type != event.TypeIncidentResolved {
		ann["severity"] = string(e.Severity) // the incident's: ack and resolve events are info
	} else {
		ann["severity"] = s.lastSeverity(id)
	}
	for k, key := range map[string]string{"runbook_url": "runbook", "acked_by": "acked_by", "fleet": "fleet_title", "lasted": "lasted", "eta": "eta"} {
		if v := d.Text(key); v != "" {
			ann[k] = v
		}
	}
	if errm, ok := d.Fields["error"].(map[string]any); ok {
		for _, k := range []string{"code", "message", "reason", "proposal"} {
			if v, ok := errm[k].(string); ok && v != "" {
				ann["error_"+k] = v
			}
		}
	}
	for k, v := range ann {
		if v == "" {
			delete(ann, k)
		}
	}
	started := e.Time
	if t, err := time.Parse(time.RFC3339, d.Text("started")); err == nil {
		started = t
	}
	a := Alert{Labels: labels, Annotations: ann, StartsAt: started.UTC(), GeneratorURL: s.o.ConsoleURL}
	if resolved(e) {
		a.EndsAt = e.Time.UTC()
	} else {
		a.EndsAt = s.o.Now().Add(endsAhead * s.cfg.ResendInterval.Duration()).UTC()
	}
	return a, true
}

// post sends alerts and classifies the answer: 2xx accepted; 408, 429
// (with its Retry-After), 5xx and network errors transient; any other
// status permanent.
func (s *Sink) post(ctx context.Context, alerts []Alert) (int, error) {
	body, err := json.Marshal(alerts)
	if err != nil {
		return 0, sinks.Permanent(fmt.Errorf("alertmanager %s: encode alerts: %w", s.name, err))
	}
	return sinks.PostJSON(ctx, s.client, s.url, body, "alertmanager "+s.name, s.o.Redactor)
}

// resolved says whether e ends its incident.
func resolved(e event.Event) bool {
	return e.Type == event.TypeIncidentResolved || e.Data.Text("state") == "resolved"
}

// lastSeverity is the severity the incident's firing alert last said, ""
// when this sink has not posted it.
func (s *Sink) lastSeverity(incident string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.firing[incident]; f != nil {
		return f.alert.Annotations["severity"]
	}
	return ""
}

func (s *Sink) wasSent(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[id]
}

// markSent remembers event id as posted, and the incident's alert for
// resending while it fires.
func (s *Sink) markSent(id, incident string, a Alert, resolved bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sent) >= 4096 {
		clear(s.sent)
	}
	s.sent[id] = true
	if resolved {
		delete(s.firing, incident)
		return
	}
	if _, ok := s.firing[incident]; !ok && len(s.firing) >= maxFiring {
		return
	}
	s.firing[incident] = &firing{alert: a, posted: s.o.Now()}
}
