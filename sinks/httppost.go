package sinks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/omswatch/omswatch/secret"
)

// PostJSON posts body to url and classifies the answer as the paging
// targets need it: 2xx accepted; 408, 429 (with its Retry-After), 5xx and
// network errors transient; any other status permanent. Errors name the
// target (what) and pass through red.
func PostJSON(ctx context.Context, client *http.Client, url string, body []byte, what string, red *secret.Redactor) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, Permanent(errors.New(red.Redact(err.Error())))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, errors.New(red.Redact(fmt.Sprintf("%s: %v", what, err)))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, nil
	}
	err = errors.New(red.Redact(fmt.Sprintf("%s: %s: %s", what, resp.Status, strings.TrimSpace(string(snippet)))))
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode < 500 {
		return resp.StatusCode, Permanent(err)
	}
	if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs >= 0 {
		return resp.StatusCode, RetryAfter(err, time.Duration(secs)*time.Second)
	}
	return resp.StatusCode, err
}
