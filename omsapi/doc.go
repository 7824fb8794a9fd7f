// Package omsapi is the client of OceanBase Migration Service's API:
// DescribeProject and ListProjects, signed, sent, limited, retried and
// decoded. It knows nothing of polling; the poller uses a *Client through
// its own Fetcher and Lister interfaces, and the service wires the two.
//
// Transports: Cloud is Alibaba Cloud's OceanBasePro RPC API through
// Alibaba's own darabonba-openapi client (signature V3 by default, V1 on
// request; credentials static or from credentials-go's default chain);
// OnPrem is an OMS console's /api/v2 (JSON, camelCase, HTTP Basic auth,
// optional TLS with a custom CA). Both return the raw answer, which Client
// decodes and classifies with package oms the same way for both.
//
// Client adds what a fleet needs: a global rate per account/endpoint
// (golang.org/x/time/rate) that halves on each Throttling* answer and
// recovers slowly, pausing for a rate-limit hint when OMS sends one; a
// bound on requests in flight; a timeout per request; transient failures
// (timeouts, 5xx, ServiceUnavailable, InternalError, malformed answers)
// retried with exponential backoff and jitter within the call; permanent
// ones (bad signature, unknown key, forbidden, no credentials) not
// retried, logged once (at debug level when they refuse the whole account,
// oms.IsRefused, which the poller reports as a pause), and reported by
// Ready until a call succeeds; an
// answer larger than the transport reads (AnswerTooLargeError) failed at
// once. The client's own errors name themselves for oms.ErrorCode
// (NoAnswer, NoCredentials, AnswerTooLarge).
//
// A big project's next DescribeProject answer is parsed reusing its last
// one (a byte-bounded LRU, Options.ReuseCacheBytes), and a Recorder
// (RecordingWriter) may keep every raw answer for the simulator to replay.
package omsapi
