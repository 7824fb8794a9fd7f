package omsapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// The OMS actions the client calls.
const (
	ActionDescribeProject = "DescribeProject"
	ActionListProjects    = "ListProjects"
)

// apiVersion is the OceanBasePro API version of every cloud call.
const apiVersion = "2019-09-01"

// DefaultMaxAnswer bounds a response body read into memory when the
// options give no bound: a DescribeProject of 5,000 tables is about 1.3 MB,
// a ListProjects page of 150 large projects a few.
const DefaultMaxAnswer = 16 << 20

// AnswerTooLargeError says an answer was larger than the transport reads.
// It is not retried (the next try would be as large) and does not make
// readiness fail (one project's answer says nothing of the credentials).
type AnswerTooLargeError struct {
	Action string
	Limit  int64
}

// ErrorCode is its name in oms.ErrorCode.
func (e *AnswerTooLargeError) ErrorCode() string { return "AnswerTooLarge" }

func (e *AnswerTooLargeError) Error() string {
	return fmt.Sprintf("%s: the answer is larger than %d MiB (oms.max_answer_size); raise it if the project really is that large", e.Action, e.Limit>>20)
}

// readAnswer reads a response body of at most limit bytes; size is its
// Content-Length (-1 when unknown). Read into a buffer that doubles, a
// page of ListProjects (about 900 KB) was allocated twice over.
func readAnswer(r io.Reader, size int64, action string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxAnswer
	}
	var buf bytes.Buffer
	if size > 0 && size <= limit {
		buf.Grow(int(size) + bytes.MinRead) // ReadFrom wants MinRead free to read the end
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, &AnswerTooLargeError{Action: action, Limit: limit}
	}
	return buf.Bytes(), nil
}

// Response is one HTTP answer of OMS, whatever it says: the Client decodes
// and classifies it (oms.DecodeEnvelope), so both transports answer alike.
type Response struct {
	// Status is the HTTP status.
	Status int
	// Body is the whole body.
	Body []byte
	// RetryAfter is the throttling hint of the answer's rate-limit headers
	// (x-ratelimit-user-api, x-ratelimit-user: TimeLeft), 0 when none.
	RetryAfter time.Duration
}

// Transport sends one OMS API request and returns the answer. params are
// named in the cloud spelling (Id, PageSize, Status); values are string,
// int, bool or []string. An error means no answer arrived: a
// *TransportError (connection, timeout), or a *CredentialsError when no
// request could be signed.
type Transport interface {
	Do(ctx context.Context, action string, params map[string]any) (*Response, error)
}

// TransportError is a request that got no answer: the connection failed,
// or the per-request timeout passed. It is retryable.
type TransportError struct {
	Action string
	Err    error
}

// ErrorCode is its name in oms.ErrorCode.
func (e *TransportError) ErrorCode() string { return "NoAnswer" }

func (e *TransportError) Error() string {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return fmt.Sprintf("%s: no answer before the request timeout: %v", e.Action, e.Err)
	}
	return fmt.Sprintf("%s: no answer from OMS: %v", e.Action, e.Err)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// CredentialsError says no credentials could be had to sign a request
// (none in the default chain, an unreadable profile, an STS exchange that
// failed). Like a bad signature it is permanent: the operator must act.
type CredentialsError struct {
	Err error
}

// ErrorCode is its name in oms.ErrorCode.
func (e *CredentialsError) ErrorCode() string { return "NoCredentials" }

// Refused is true: without credentials no request of the account can be
// made (oms.IsRefused), so the poller pauses the account.
func (e *CredentialsError) Refused() bool { return true }

func (e *CredentialsError) Error() string {
	return "no usable Alibaba Cloud credentials (static keys, ALIBABA_CLOUD_* variables, profile, RAM role or OIDC): " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *CredentialsError) Unwrap() error { return e.Err }
