package rules

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/omswatch/omswatch/oms"
)

// State is what the engine remembers about one project between polls: its
// conditions that hold (pending or firing), the once_per keys its routes
// have sent and its sync delay at the last polls (project.Incr.ETA). The engine returns a new State from each evaluation; the
// caller saves it (after publishing what the evaluation produced) so that a
// restart neither fires a condition again nor forgets one.
type State struct {
	Conditions map[string]CondState `json:"conditions,omitempty"`
	OncePer    map[string]time.Time `json:"once_per,omitempty"`
	// Delays are the project's sync delay at its last polls while it lags
	// (oms.AddDelaySample), which project.Incr.ETA is read from; kept here
	// so that a restart goes on with them.
	Delays []oms.DelaySample `json:"delays,omitempty"`
}

// CondState is one condition that currently holds for the project.
type CondState struct {
	// Since is when the expression started to hold.
	Since time.Time `json:"since"`
	// FiredAt is when oms.condition.firing was emitted; zero while pending.
	FiredAt time.Time `json:"fired_at,omitzero"`
	// LastHeld is the last evaluation at which the expression held, for
	// keep_firing_for.
	LastHeld time.Time `json:"last_held"`
	// Notified is when the last firing event (first or reminder) was
	// emitted, and Repeats how many reminders there were.
	Notified time.Time `json:"notified,omitzero"`
	Repeats  int       `json:"repeats,omitzero"`
	// Muted says why the firing event was not sent (a silence, an
	// inhibition), so that its resolution is not sent either.
	Muted string `json:"muted,omitempty"`
	// FiringEvent is the id of the firing's oms.condition.firing, which an
	// inhibition it holds names in the record.
	FiringEvent string `json:"firing_event,omitempty"`
}

// Firing reports whether the condition has fired and not resolved.
func (c CondState) Firing() bool { return !c.FiredAt.IsZero() }

// IsZero reports whether the state holds nothing: the store may delete it.
func (s State) IsZero() bool {
	return len(s.Conditions) == 0 && len(s.OncePer) == 0 && len(s.Delays) == 0
}

// Clone returns a deep copy, so an evaluation never changes its input.
func (s State) Clone() State {
	return State{Conditions: maps.Clone(s.Conditions), OncePer: maps.Clone(s.OncePer), Delays: slices.Clone(s.Delays)}
}

// Equal reports whether two states hold the same, so callers skip writes.
func (s State) Equal(o State) bool {
	return s.SameDecisions(o) && slices.EqualFunc(s.Delays, o.Delays, func(a, b oms.DelaySample) bool { return a.At.Equal(b.At) && a.Delay == b.Delay })
}

// SameDecisions reports whether two states hold the same conditions and
// once_per keys: whatever their delays, the same poll decides the same.
func (s State) SameDecisions(o State) bool {
	return maps.Equal(s.Conditions, o.Conditions) && maps.EqualFunc(s.OncePer, o.OncePer, time.Time.Equal)
}

// StateStore keeps each project's State across polls and restarts (the
// JetStream key-value implementation is rules/kvstate). Load returns the
// zero State, not an error, for a project it has nothing about. Save with
// a zero State deletes. Errors are I/O errors; callers retry on the next poll.
type StateStore interface {
	Load(ctx context.Context, source, project string) (State, error)
	Save(ctx context.Context, source, project string, st State) error
}

// MemStore is a StateStore in memory, for replay and tests. Its zero value
// is ready to use and it is safe for concurrent use.
type MemStore struct {
	mu sync.Mutex
	m  map[[2]string]State
}

// Load returns a copy of the project's state.
func (m *MemStore) Load(_ context.Context, source, project string) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[[2]string{source, project}].Clone(), nil
}

// Save stores a copy of st, or deletes the project's state when st is zero.
func (m *MemStore) Save(_ context.Context, source, project string, st State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := [2]string{source, project}
	if st.IsZero() {
		delete(m.m, key)
		return nil
	}
	if m.m == nil {
		m.m = map[[2]string]State{}
	}
	m.m[key] = st.Clone()
	return nil
}
