package omsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/setting"
)

// OnPremOptions configure the on-premise OMS client.
type OnPremOptions struct {
	// URL is the OMS console's base URL; requests go to <URL>/api/v2.
	URL string
	// Username and Password authenticate with HTTP Basic auth.
	Username string
	Password secret.String
	// TLS configures TLS (a custom CA for a private OMS console).
	TLS setting.TLS
	// MaxConns sizes the connection pool.
	MaxConns int
	// MaxAnswer bounds an answer's size (DefaultMaxAnswer when 0).
	MaxAnswer int64
}

// OnPrem is the Transport for an on-premise OMS console's OpenAPI:
// POST <url>/api/v2?Action=..., a camelCase JSON body, HTTP Basic auth.
type OnPrem struct {
	endpoint  string
	user      string
	password  secret.String
	hc        *http.Client
	maxAnswer int64
}

// NewOnPrem builds the on-premise transport.
func NewOnPrem(o OnPremOptions) (*OnPrem, error) {
	u, err := url.Parse(strings.TrimSuffix(o.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("on-premise client: url %q: want http(s)://host[:port]", o.URL)
	}
	if o.Username == "" {
		return nil, errors.New("on-premise client: a username is required")
	}
	hc, err := newHTTPClient(o.TLS, o.MaxConns)
	if err != nil {
		return nil, fmt.Errorf("on-premise client TLS: %w", err)
	}
	return &OnPrem{endpoint: u.String() + "/api/v2", user: o.Username, password: o.Password, hc: hc, maxAnswer: o.MaxAnswer}, nil
}

// Do posts action with params respelled in camelCase.
func (c *OnPrem) Do(ctx context.Context, action string, params map[string]any) (*Response, error) {
	body := make(map[string]any, len(params))
	for k, v := range params {
		body[oms.CamelKey(k)] = v
	}
	buf, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("%s: encode parameters: %w", action, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"?Action="+url.QueryEscape(action), bytes.NewReader(buf))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(c.user, c.password.Reveal())
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &TransportError{Action: action, Err: err}
	}
	defer resp.Body.Close()
	b, err := readAnswer(resp.Body, resp.ContentLength, action, c.maxAnswer)
	var big *AnswerTooLargeError
	if errors.As(err, &big) {
		return nil, err
	}
	if err != nil {
		return nil, &TransportError{Action: action, Err: fmt.Errorf("read the answer (HTTP %d): %w", resp.StatusCode, err)}
	}
	return &Response{Status: resp.StatusCode, Body: b, RetryAfter: throttleHint(resp.Header)}, nil
}
