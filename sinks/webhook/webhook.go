// Package webhook is the webhook target: an HTTP POST of each event's
// CloudEvents JSON (or of a body from a template), signed with HMAC-SHA256
// in the X-Omswatch-Signature header. It is how events reach DingTalk,
// Teams, PagerDuty relays and one's own services.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/sinks"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body
// under the target's secret.
const SignatureHeader = "X-Omswatch-Signature"

// Sign returns the signature header value of body under key.
func Sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header value in constant time, as a receiver
// does.
func Verify(key, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(key, body)), []byte(header))
}

// Sink posts to one webhook. It is safe for concurrent use.
type Sink struct {
	name   string
	cfg    Config
	client *http.Client
	body   *template.Template
	red    *secret.Redactor

	mu   sync.Mutex
	sent map[string]bool // events posted, so a retry of a batch skips them
}

// New checks cfg and compiles its body template; red learns the URL, the
// secret and the header values, so errors never show them.
func New(name string, cfg Config, red *secret.Redactor) (*Sink, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("webhook target %s: %w", name, err)
	}
	if red == nil {
		red = &secret.Redactor{}
	}
	red.Add(cfg.URL, cfg.Secret)
	for _, v := range cfg.Headers {
		red.Add(v)
	}
	s := &Sink{name: name, cfg: cfg, client: &http.Client{Timeout: cfg.Timeout.Duration()}, red: red, sent: map[string]bool{}}
	if cfg.Body.Text != "" {
		t, err := template.New("body").Funcs(template.FuncMap{"json": toJSON}).Option("missingkey=zero").Parse(cfg.Body.Text)
		if err != nil {
			return nil, fmt.Errorf("webhook target %s: body: %w", name, err)
		}
		s.body = t
	}
	return s, nil
}

// toJSON encodes v as JSON without HTML escaping, as the events are.
func toJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// Send posts each event of n on its own, in order. An event the receiver
// refuses for good (a 4xx, a body the template cannot make) does not stop
// the others: it is reported in a sinks.PartialError. A transient failure
// stops the batch there, for a retry in order.
func (s *Sink) Send(ctx context.Context, n sinks.Notification) error {
	var out sinks.EventOutcomes
	for i, e := range n.Events {
		if s.wasSent(e.ID) {
			continue
		}
		body, ctype, err := s.render(&n, i)
		status := 0
		if err == nil {
			status, err = s.post(ctx, e, body, ctype)
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

func (s *Sink) render(n *sinks.Notification, i int) ([]byte, string, error) {
	if s.body == nil {
		b, err := n.Payload(i)
		if err != nil {
			return nil, "", sinks.Permanent(err)
		}
		return b, event.StructuredContentType, nil
	}
	var b bytes.Buffer
	if err := s.body.Execute(&b, sinks.NewTemplateData(n.Events[i], func(s string) string { return s })); err != nil {
		return nil, "", sinks.Permanent(fmt.Errorf("webhook body of event %s: %w", n.Events[i].ID, err))
	}
	return b.Bytes(), "application/json", nil
}

// post sends one request and classifies the answer: 2xx accepted; 408,
// 429 (with its Retry-After), 5xx and network errors transient; any other
// status permanent.
func (s *Sink) post(ctx context.Context, e event.Event, body []byte, ctype string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL.Reveal(), bytes.NewReader(body))
	if err != nil {
		return 0, sinks.Permanent(errors.New(s.red.Redact(err.Error())))
	}
	for k, v := range s.cfg.Headers {
		req.Header.Set(k, v.Reveal())
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Ce-Id", e.ID)
	if !s.cfg.Secret.IsZero() {
		req.Header.Set(SignatureHeader, Sign([]byte(s.cfg.Secret.Reveal()), body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, errors.New(s.red.Redact(fmt.Sprintf("webhook %s: %v", s.name, err)))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, nil
	}
	err = errors.New(s.red.Redact(fmt.Sprintf("webhook %s: %s: %s", s.name, resp.Status, strings.TrimSpace(string(snippet)))))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil {
			return resp.StatusCode, sinks.RetryAfter(err, time.Duration(secs)*time.Second)
		}
		return resp.StatusCode, err
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return resp.StatusCode, err
	}
	return resp.StatusCode, sinks.Permanent(err)
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
