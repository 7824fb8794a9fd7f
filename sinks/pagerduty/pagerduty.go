// Package pagerduty is the PagerDuty target (Events API v2): an incident
// (oms.incident.*) is a PagerDuty alert whose dedup_key is the incident's
// id. Its opening triggers it, its acknowledgement acknowledges it, its
// resolution resolves it. Updates are not sent (PagerDuty keeps its own
// timeline, and a repeated trigger would only add to it); other events are
// not alerts: a route that sends them here has them skipped.
package pagerduty

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

// Event actions.
const (
	Trigger     = "trigger"
	Acknowledge = "acknowledge"
	Resolve     = "resolve"
)

// Event is the body of a POST to /v2/enqueue.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload is what a trigger says of the alert.
type Payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Link is a link shown on the alert.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Options are what a target needs beyond its configuration.
type Options struct {
	// Redactor learns the routing key, so errors never show it.
	Redactor *secret.Redactor
	// ConsoleURL, if known, is linked from every alert.
	ConsoleURL string
}

// Sink sends incidents to one PagerDuty service. It is safe for
// concurrent use.
type Sink struct {
	name   string
	cfg    Config
	url    string
	client *http.Client
	o      Options

	mu   sync.Mutex
	sent map[string]bool // events sent, so a retry of a batch skips them
}

// New checks cfg; the routing key goes to the redactor.
func New(name string, cfg Config, o Options) (*Sink, error) {
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pagerduty target %s: %w", name, err)
	}
	if o.Redactor == nil {
		o.Redactor = &secret.Redactor{}
	}
	o.Redactor.Add(cfg.RoutingKey)
	return &Sink{name: name, cfg: cfg, url: strings.TrimSuffix(cfg.URL, "/") + "/v2/enqueue",
		client: &http.Client{Timeout: cfg.Timeout.Duration()}, o: o, sent: map[string]bool{}}, nil
}

// Action is the event action an event becomes, "" for none.
func Action(e event.Event) string {
	switch e.Type {
	case event.TypeIncidentOpened:
		return Trigger
	case event.TypeIncidentAcknowledged:
		return Acknowledge
	case event.TypeIncidentResolved:
		return Resolve
	}
	return ""
}

// Send sends each incident event of n on its own, in order; other events
// are skipped. An event PagerDuty refuses for good (a 400: an invalid
// event) does not stop the others: it is reported in a sinks.PartialError.
// A transient failure stops the batch there, for a retry in order.
func (s *Sink) Send(ctx context.Context, n sinks.Notification) error {
	var out sinks.EventOutcomes
	for _, e := range n.Events {
		action := Action(e)
		if action == "" || s.wasSent(e.ID) {
			continue
		}
		var status int
		body, err := s.body(e, action)
		if err == nil {
			status, err = s.post(ctx, body)
		}
		if err == nil {
			s.markSent(e.ID)
		}
		if !out.Record(ctx, &n, e.ID, status, err) {
			return out.Err(err)
		}
	}
	return out.Err(nil)
}

// body is the Events API event of e.
func (s *Sink) body(e event.Event, action string) ([]byte, error) {
	d := e.Data
	id := d.Text("incident")
	if id == "" {
		return nil, sinks.Permanent(fmt.Errorf("pagerduty %s: event %s has no incident id", s.name, e.ID))
	}
	pe := Event{RoutingKey: s.cfg.RoutingKey.Reveal(), EventAction: action, DedupKey: id}
	if action == Trigger {
		pe.Payload = payload(e)
		pe.Client, pe.ClientURL = "omswatch", s.o.ConsoleURL
		if s.o.ConsoleURL != "" {
			pe.Links = append(pe.Links, Link{Href: s.o.ConsoleURL, Text: "OMS console"})
		}
		if rb := d.Text("runbook"); strings.HasPrefix(rb, "http://") || strings.HasPrefix(rb, "https://") {
			pe.Links = append(pe.Links, Link{Href: rb, Text: "Runbook"})
		}
	}
	b, err := jsonBody(pe)
	if err != nil {
		return nil, fmt.Errorf("pagerduty %s: event %s: %w", s.name, e.ID, err)
	}
	return b, nil
}

func jsonBody(pe Event) ([]byte, error) {
	b, err := json.Marshal(pe)
	if err != nil {
		return nil, sinks.Permanent(fmt.Errorf("encode the event: %w", err))
	}
	return b, nil
}

// payload is what a trigger says: the incident's title, its project as
// the source, its severity, its cause as component and class (the error
// code when there is one), its fleet as group, the rest as details.
func payload(e event.Event) *Payload {
	d := e.Data
	summary := d.Text("title")
	if d.Project.Name != "" {
		summary = d.Project.Name + ": " + summary
	}
	if len(summary) > 1024 {
		summary = summary[:1021] + "..."
	}
	source := d.Project.Name
	if source == "" {
		source = d.Project.ID
	}
	p := &Payload{Summary: summary, Source: source, Severity: severity(e.Severity), Component: d.Text("cause"),
		Group: d.Text("fleet_title"), Class: d.Text("cause"), Timestamp: d.Text("started"),
		CustomDetails: map[string]any{"incident": d.Text("incident"), "project_id": d.Project.ID, "state": d.Text("state")}}
	if errm, ok := d.Fields["error"].(map[string]any); ok {
		if code, ok := errm["code"].(string); ok && code != "" {
			p.Class = code
		}
	}
	for _, k := range []string{"error", "runbook", "eta", "relapses", "events", "fleet"} {
		if v, ok := d.Fields[k]; ok {
			p.CustomDetails[k] = v
		}
	}
	return p
}

// severity maps an event severity to PagerDuty's (critical, error,
// warning, info).
func severity(s event.Severity) string {
	switch s {
	case event.Critical:
		return "critical"
	case event.Warning:
		return "warning"
	}
	return "info"
}

// post sends one event and classifies the answer: 2xx accepted; 408, 429
// (with its Retry-After), 5xx and network errors transient; any other
// status (400: an invalid event; 401, 403, 404) permanent.
func (s *Sink) post(ctx context.Context, body []byte) (int, error) {
	return sinks.PostJSON(ctx, s.client, s.url, body, "pagerduty "+s.name, s.o.Redactor)
}

func (s *Sink) wasSent(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[id]
}

func (s *Sink) markSent(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sent) >= 4096 {
		clear(s.sent)
	}
	s.sent[id] = true
}
