package kvstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/rules"
)

// ErrNotFound is returned for a silence id the bucket does not hold.
var ErrNotFound = errors.New("no such silence")

// Silences stores silences in a JetStream key-value bucket, one key per id.
// An expired silence stays (so list can show it) until Prune removes it.
type Silences struct {
	kv jetstream.KeyValue
}

// NewSilences creates the bucket, or updates its settings.
func NewSilences(ctx context.Context, js jetstream.JetStream, o Options) (*Silences, error) {
	kv, err := open(ctx, js, o, "silences")
	if err != nil {
		return nil, err
	}
	return &Silences{kv: kv}, nil
}

// idPattern is what silence ids look like; they are KV keys as they are.
// It is compiled on first use: {1,64} makes a large program (some 60 KB and
// 860 allocations) that every omswatch command paid at start-up otherwise.
var idPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) })

// Put stores a silence after checking it.
func (s *Silences) Put(ctx context.Context, sil rules.Silence) error {
	if !idPattern().MatchString(sil.ID) {
		return fmt.Errorf("silence id %q: use up to 64 letters, digits, '_' and '-'", sil.ID)
	}
	if err := sil.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(sil)
	if err != nil {
		return fmt.Errorf("store silence %s: %w", sil.ID, err)
	}
	if _, err := s.kv.Put(ctx, sil.ID, b); err != nil {
		return fmt.Errorf("store silence %s: %w", sil.ID, err)
	}
	return nil
}

// Get reads one silence; ErrNotFound when there is none.
func (s *Silences) Get(ctx context.Context, id string) (rules.Silence, error) {
	if !idPattern().MatchString(id) {
		return rules.Silence{}, fmt.Errorf("silence %q: %w", id, ErrNotFound)
	}
	e, err := s.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return rules.Silence{}, fmt.Errorf("silence %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return rules.Silence{}, fmt.Errorf("read silence %s: %w", id, err)
	}
	return decode(e.Value())
}

func decode(b []byte) (rules.Silence, error) {
	var sil rules.Silence
	if err := json.Unmarshal(b, &sil); err != nil {
		return rules.Silence{}, fmt.Errorf("decode silence: %w", err)
	}
	return sil, nil
}

// List returns every stored silence, expired ones included, by end time.
func (s *Silences) List(ctx context.Context) ([]rules.Silence, error) {
	keys, err := s.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", err)
	}
	defer keys.Stop()
	var out []rules.Silence
	for k := range keys.Keys() {
		sil, err := s.Get(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue // deleted between listing and reading
		}
		if err != nil {
			return nil, err
		}
		out = append(out, sil)
	}
	slices.SortFunc(out, func(a, b rules.Silence) int {
		if c := a.EndsAt.Compare(b.EndsAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Expire ends a silence at now (if it has not ended yet) and returns it.
func (s *Silences) Expire(ctx context.Context, id string, now time.Time) (rules.Silence, error) {
	sil, err := s.Get(ctx, id)
	if err != nil {
		return rules.Silence{}, err
	}
	if !sil.EndsAt.After(now) {
		return sil, nil
	}
	sil.EndsAt = now
	if sil.StartsAt.After(now) {
		sil.StartsAt = now.Add(-time.Nanosecond) // a silence that never started still validates
	}
	return sil, s.Put(ctx, sil)
}

// Prune deletes silences that ended before cutoff and returns how many.
func (s *Silences) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	all, err := s.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sil := range all {
		if sil.EndsAt.Before(cutoff) {
			if err := s.kv.Delete(ctx, sil.ID); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				return n, fmt.Errorf("prune silence %s: %w", sil.ID, err)
			}
			n++
		}
	}
	return n, nil
}

// Watcher keeps the compiled set of silences current as the bucket
// changes, for the evaluation loop to read without I/O.
type Watcher struct {
	mu   sync.Mutex
	set  *rules.Silences
	done chan struct{}
}

// Watch loads every silence and follows the bucket until ctx ends. onErr
// is told about silences that do not decode or compile; they are left out.
func (s *Silences) Watch(ctx context.Context, onErr func(error)) (*Watcher, error) {
	if onErr == nil {
		onErr = func(error) {}
	}
	w, err := s.kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch silences: %w", err)
	}
	sw := &Watcher{done: make(chan struct{})}
	current := map[string]rules.Silence{}
	loaded := make(chan struct{})
	go func() {
		defer close(sw.done)
		defer func() { _ = w.Stop() }()
		initial := true
		for {
			var e jetstream.KeyValueEntry
			var ok bool
			select {
			case <-ctx.Done():
				if initial {
					close(loaded)
				}
				return
			case e, ok = <-w.Updates():
			}
			if !ok {
				if initial {
					close(loaded)
				}
				return
			}
			if e == nil { // the initial values are all in
				sw.rebuild(current, onErr)
				if initial {
					initial = false
					close(loaded)
				}
				continue
			}
			apply(current, e, onErr)
			if !initial {
				sw.rebuild(current, onErr)
			}
		}
	}()
	select {
	case <-loaded:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return sw, nil
}

func apply(current map[string]rules.Silence, e jetstream.KeyValueEntry, onErr func(error)) {
	if e.Operation() != jetstream.KeyValuePut {
		delete(current, e.Key())
		return
	}
	sil, err := decode(e.Value())
	if err != nil {
		onErr(fmt.Errorf("silence %s: %w", e.Key(), err))
		return
	}
	current[e.Key()] = sil
}

func (w *Watcher) rebuild(current map[string]rules.Silence, onErr func(error)) {
	list := make([]rules.Silence, 0, len(current))
	for _, s := range current {
		list = append(list, s)
	}
	set, err := rules.NewSilences(list)
	if err != nil {
		onErr(err)
	}
	w.mu.Lock()
	w.set = set
	w.mu.Unlock()
}

// Silences returns the current set; it never blocks on I/O.
func (w *Watcher) Silences() *rules.Silences {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.set
}

// Done is closed when the watch has ended (its ctx ended).
func (w *Watcher) Done() <-chan struct{} { return w.done }
