// Package jsensure creates JetStream streams and key-value buckets in a way
// that survives replicas starting together on a cluster.
//
// Two clients creating the same replicated stream at the same moment on a
// nats-server cluster can both wait until their deadline (measured here
// with nats-server v2.15.2: two clients creating four R3 buckets in
// lockstep, every creation after the first timed out for both, for as long
// as they waited, 60 s). A second attempt a random moment later finds the
// stream created, or creates it, and the stream works. So each attempt gets
// a deadline of its own, and a timed-out attempt is tried again after a
// random pause, which breaks the lockstep.
package jsensure

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Policy says how long an attempt may take and how many are made.
type Policy struct {
	// AttemptTimeout bounds one attempt (default 5 s; a stream is created
	// in milliseconds when nothing races it).
	AttemptTimeout time.Duration
	// Attempts is how many attempts are made (default 8).
	Attempts int
	// MaxPause is the longest random pause before the next attempt
	// (default 2 s; the pause is uniform in [0, min(MaxPause, 250ms*2^n))).
	MaxPause time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = 5 * time.Second
	}
	if p.Attempts <= 0 {
		p.Attempts = 8
	}
	if p.MaxPause <= 0 {
		p.MaxPause = 2 * time.Second
	}
	return p
}

// Do runs create, an idempotent create-or-open of a stream or bucket
// (CreateOrUpdateKeyValue, CreateOrUpdateStream...), with the default
// Policy. See DoWith.
func Do[T any](ctx context.Context, create func(context.Context) (T, error)) (T, error) {
	return DoWith(ctx, Policy{}, create)
}

// DoWith runs create until it succeeds, fails for a reason that waiting
// does not cure, ctx ends, or the attempts are used up. Only errors that a
// cluster in motion gives are tried again: an attempt's own deadline, a
// request timeout, no responders (JetStream not up yet) and "JetStream
// system temporarily unavailable".
func DoWith[T any](ctx context.Context, p Policy, create func(context.Context) (T, error)) (T, error) {
	p = p.withDefaults()
	var zero T
	var err error
	for n := range p.Attempts {
		actx, cancel := context.WithTimeout(ctx, p.AttemptTimeout)
		var v T
		v, err = create(actx)
		cancel()
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil || !Transient(err) {
			return zero, err
		}
		if n == p.Attempts-1 {
			break
		}
		pause := min(p.MaxPause, 250*time.Millisecond<<n)
		t := time.NewTimer(rand.N(pause) + time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, err
		case <-t.C:
		}
	}
	return zero, fmt.Errorf("%d attempts of %s each timed out (is the JetStream cluster up, with enough nodes for the replicas?): %w",
		p.Attempts, p.AttemptTimeout, err)
}

// clusterNotAvailable is JetStream's "JetStream system temporarily
// unavailable" (JSClusterNotAvailErr), answered while a cluster elects its
// meta leader.
const clusterNotAvailable = 10008

// Transient reports whether err is one a later attempt may not get.
func Transient(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) {
		return api.ErrorCode == clusterNotAvailable
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders)
}
