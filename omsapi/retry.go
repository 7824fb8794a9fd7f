package omsapi

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// RetryPolicy bounds how a transient failure is retried within one call.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 means no retries.
	MaxAttempts int
	// InitialBackoff is the wait before the second try; it doubles each
	// try up to MaxBackoff, with jitter.
	InitialBackoff, MaxBackoff time.Duration
}

// backoff is the wait before try attempt+1: exponential, capped, with
// "equal jitter" (half fixed, half random) so that many projects failing
// together do not retry together.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.InitialBackoff
	for i := 1; i < attempt && d < p.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.MaxBackoff)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// failureKind is how a failed call is handled.
type failureKind int

const (
	failTransient failureKind = iota // retry within the call
	failThrottled                    // slow the client down, then retry
	failPermanent                    // no retry; log once; readiness fails
	failFinal                        // no retry (e.g. project not found), nothing else
)

// classify sorts a call's error.
func classify(err error) failureKind {
	var ce *CredentialsError
	var te *TransportError
	var big *AnswerTooLargeError
	switch {
	case errors.As(err, &big):
		return failFinal // the next try would be as large
	case errors.As(err, &ce) || oms.IsPermanent(err):
		return failPermanent
	case oms.IsThrottled(err):
		return failThrottled
	case oms.IsRetryable(err) || errors.As(err, &te):
		return failTransient
	}
	return failFinal
}
