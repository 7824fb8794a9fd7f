package omsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// fakeTransport answers from a script of responses, noting when each
// request came.
type fakeTransport struct {
	mu    sync.Mutex
	times []time.Time
	next  func(n int) *Response
}

func (f *fakeTransport) Do(context.Context, string, map[string]any) (*Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.times = append(f.times, time.Now())
	return f.next(len(f.times)), nil
}

const okBody = `{"Success":true,"Data":{"Id":"np_a","Status":"RUNNING"}}`

func TestRetriesBackOffExponentiallyWithJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{next: func(n int) *Response {
			if n < 4 {
				return &Response{Status: http.StatusServiceUnavailable, Body: []byte(`{"Code":"ServiceUnavailable","Message":"busy"}`)}
			}
			return &Response{Status: 200, Body: []byte(okBody)}
		}}
		api, err := New(Options{Transport: tr, Source: testSource, QPS: 1000, MaxInFlight: 1, Timeout: time.Second,
			Retry: RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Second, MaxBackoff: 3 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := api.Fetch(t.Context(), "np_a"); err != nil {
			t.Fatalf("the 4th try should succeed: %v", err)
		}
		for i, want := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
			gap := tr.times[i+1].Sub(tr.times[i])
			if gap < want/2 || gap > want {
				t.Errorf("wait before try %d: %s, want between %s and %s", i+2, gap, want/2, want)
			}
		}
	})
}

func TestThrottlingHintPausesTheClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{next: func(n int) *Response {
			if n == 1 {
				return &Response{Status: 400, RetryAfter: 7 * time.Second,
					Body: []byte(`{"Code":"Throttling.User","Message":"Request was denied due to user flow control."}`)}
			}
			return &Response{Status: 200, Body: []byte(okBody)}
		}}
		api, err := New(Options{Transport: tr, Source: testSource, QPS: 10, MaxInFlight: 2, Timeout: time.Second,
			Retry: RetryPolicy{MaxAttempts: 2, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := api.Fetch(t.Context(), "np_a"); err != nil {
			t.Fatal(err)
		}
		if gap := tr.times[1].Sub(tr.times[0]); gap < 7*time.Second {
			t.Errorf("retried %s after a 7s hint", gap)
		}
		if r := api.Stats().Rate; r >= 10 {
			t.Errorf("rate %.1f/s after throttling, want below the configured 10/s", r)
		}
	})
}

func TestErrorClassification(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want failureKind
		code string
	}{
		{"503", &oms.APIError{HTTPStatus: 503, Code: "ServiceUnavailable"}, failTransient, "ServiceUnavailable"},
		{"500", &oms.APIError{HTTPStatus: 500, Code: "InternalError"}, failTransient, "InternalError"},
		{"throttling", &oms.APIError{HTTPStatus: 400, Code: "Throttling.User"}, failThrottled, "Throttling.User"},
		{"bad signature", &oms.APIError{HTTPStatus: 400, Code: "SignatureDoesNotMatch"}, failPermanent, "SignatureDoesNotMatch"},
		{"unknown key", &oms.APIError{HTTPStatus: 404, Code: "InvalidAccessKeyId.NotFound"}, failPermanent, "InvalidAccessKeyId.NotFound"},
		{"forbidden", &oms.APIError{HTTPStatus: 403, Code: "Forbidden.RAM"}, failPermanent, "Forbidden.RAM"},
		{"not found", &oms.APIError{HTTPStatus: 200, Code: "PROJECT_NOT_FOUND_ERROR", Business: true}, failFinal, "PROJECT_NOT_FOUND_ERROR"},
		{"success false", &oms.APIError{HTTPStatus: 200, Code: "INNER_ERROR", Business: true}, failTransient, "INNER_ERROR"},
		{"truncated", &oms.MalformedError{Reason: "truncated"}, failTransient, "MalformedResponse"},
		{"no data", &oms.MalformedError{Reason: "no data", Err: oms.ErrNoData}, failTransient, "NoData"},
		{"timeout", &TransportError{Action: "DescribeProject", Err: context.DeadlineExceeded}, failTransient, "NoAnswer"},
		{"no credentials", &CredentialsError{Err: errors.New("none")}, failPermanent, "NoCredentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := fmt.Errorf("describe: %w", &answerError{err: tc.err})
			if got := classify(err); got != tc.want {
				t.Errorf("classify = %d, want %d", got, tc.want)
			}
			if got := oms.ErrorCode(err); got != tc.code {
				t.Errorf("ErrorCode = %q, want %q", got, tc.code)
			}
		})
	}
}
