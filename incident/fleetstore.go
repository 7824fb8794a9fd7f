package incident

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// fleetPrefix starts the keys of fleet incidents in the bucket (project
// keys are base64url, which has no dot before their one dot).
const fleetPrefix = "fleet."

func fleetKey(key string) string {
	return fleetPrefix + base64.RawURLEncoding.EncodeToString([]byte(key))
}

// maxTries bounds the compare-and-set retries on a fleet record that
// projects polled at the same time write.
const maxTries = 20

// Correlate puts an incident that has just opened into a fleet incident:
// the open one whose key it shares (in the order of by) and which opened
// within window before or after it, else a new one of its own under its
// first key that no open fleet holds (its other keys point to it), which
// the incidents of other projects may join. It sets the incident's Fleet
// and FleetKey and returns the fleet; false when the incident has no key,
// window is 0, or each key has an open fleet it came too late for (it
// stays an incident of its project). It is idempotent: an incident already
// in a fleet stays there.
func (s *KVStore) Correlate(ctx context.Context, in *Incident, by []string, window time.Duration) (Fleet, bool, error) {
	ks := keys(in, by)
	if len(ks) == 0 || window <= 0 {
		return Fleet{}, false, nil
	}
	for try := 0; try < maxTries; try++ {
		f, k, rev, err := s.joinable(ctx, in, ks, window)
		if err != nil {
			return Fleet{}, false, err
		}
		if rev == 0 || k == "" {
			var primary string
			if k, primary, rev, err = s.free(ctx, ks); err != nil || k == "" {
				return Fleet{}, false, err // every key has an open fleet it is too late for
			}
			f = Fleet{ID: fleetID(primary, in.Started), Key: primary, Opened: in.Started}
		}
		f.set(in)
		err = s.saveFleet(ctx, k, f, rev)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return Fleet{}, false, err
		}
		in.Fleet, in.FleetKey = f.ID, k
		if len(f.Members) == 1 {
			if err := s.alias(ctx, k, f, ks); err != nil {
				return Fleet{}, false, err
			}
		}
		return f, true, nil
	}
	return Fleet{}, false, fmt.Errorf("fleet incident of %s: %w", in.ID, ErrConflict)
}

// joinable finds the fleet an incident joins: one it is in already, or an
// open one of one of its keys that opened within window of it.
func (s *KVStore) joinable(ctx context.Context, in *Incident, ks []string, window time.Duration) (Fleet, string, uint64, error) {
	for _, key := range ks {
		f, k, rev, err := s.loadFleet(ctx, fleetKey(key))
		if err != nil || rev == 0 {
			if err != nil {
				return Fleet{}, "", 0, err
			}
			continue
		}
		for _, m := range f.Members {
			if m.Incident == in.ID {
				return f, k, rev, nil
			}
		}
		if d := in.Started.Sub(f.Opened); f.Open() && d <= window && d >= -window {
			return f, k, rev, nil
		}
	}
	return Fleet{}, "", 0, nil
}

// Follow brings an incident's member entry in its fleet up to date and
// returns the fleet; false when the incident is in none (or its fleet
// record gave way to a newer one).
func (s *KVStore) Follow(ctx context.Context, in *Incident) (Fleet, bool, error) {
	if in.FleetKey == "" {
		return Fleet{}, false, nil
	}
	for try := 0; try < maxTries; try++ {
		f, rev, err := s.loadFleetRaw(ctx, in.FleetKey)
		if err != nil || rev == 0 || f.ID != in.Fleet {
			return Fleet{}, false, err
		}
		if !f.set(in) {
			return f, true, nil
		}
		err = s.saveFleet(ctx, in.FleetKey, f, rev)
		if errors.Is(err, ErrConflict) {
			continue
		}
		return f, err == nil, err
	}
	return Fleet{}, false, fmt.Errorf("fleet incident %s: %w", in.Fleet, ErrConflict)
}

// free finds the first key whose record a new fleet may take: none, or
// one of a fleet that ended (an alias of one included). It returns the
// record's key, the correlation key and the record's revision; "" when
// every key has an open fleet.
func (s *KVStore) free(ctx context.Context, ks []string) (string, string, uint64, error) {
	for _, key := range ks {
		k := fleetKey(key)
		raw, rev, err := s.loadFleetRaw(ctx, k)
		if err != nil {
			return "", "", 0, err
		}
		if rev != 0 {
			target := raw
			if raw.Alias != "" {
				if target, _, err = s.loadFleetRaw(ctx, raw.Alias); err != nil {
					return "", "", 0, err
				}
			}
			if target.ID == raw.ID && target.Open() {
				continue
			}
		}
		return k, key, rev, nil
	}
	return "", "", 0, nil
}

// alias points the fleet's other keys at it, so that an incident that
// shares only one of them (the same endpoint, another error code) joins
// it. An alias of an open fleet in the window is left alone.
func (s *KVStore) alias(ctx context.Context, k string, f Fleet, others []string) error {
	for _, key := range others {
		ak := fleetKey(key)
		if ak == k {
			continue
		}
		old, rev, err := s.loadFleetRaw(ctx, ak)
		if err != nil {
			return err
		}
		if rev != 0 && old.Open() && old.Alias == "" {
			continue // a fleet of its own under this key
		}
		if rev != 0 && old.Alias != "" {
			if target, _, err := s.loadFleetRaw(ctx, old.Alias); err != nil || target.ID == old.ID && target.Open() {
				continue // an alias of another open fleet
			}
		}
		err = s.saveFleet(ctx, ak, Fleet{ID: f.ID, Key: key, Opened: f.Opened, Alias: k}, rev)
		if err != nil && !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return nil
}

// loadFleet reads the fleet kept under k, following an alias: the fleet,
// the key it is kept under, and its revision (0: none).
func (s *KVStore) loadFleet(ctx context.Context, k string) (Fleet, string, uint64, error) {
	f, rev, err := s.loadFleetRaw(ctx, k)
	if err != nil || rev == 0 || f.Alias == "" {
		return f, k, rev, err
	}
	k = f.Alias
	f, rev, err = s.loadFleetRaw(ctx, k)
	return f, k, rev, err
}

func (s *KVStore) loadFleetRaw(ctx context.Context, k string) (Fleet, uint64, error) {
	e, err := s.kv.Get(ctx, k)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Fleet{}, 0, nil
	}
	if err != nil {
		return Fleet{}, 0, fmt.Errorf("read fleet incident: %w", err)
	}
	var f Fleet
	if err := json.Unmarshal(e.Value(), &f); err != nil {
		return Fleet{}, e.Revision(), nil // unreadable: a new one replaces it
	}
	return f, e.Revision(), nil
}

func (s *KVStore) saveFleet(ctx context.Context, k string, f Fleet, rev uint64) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if rev == 0 {
		_, err = s.kv.Create(ctx, k, b)
	} else {
		_, err = s.kv.Update(ctx, k, b, rev)
	}
	var apiErr *jetstream.APIError
	if errors.Is(err, jetstream.ErrKeyExists) || errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("save fleet incident %s: %w", f.ID, err)
	}
	return nil
}

// isFleetKey reports whether a bucket key is a fleet incident's.
func isFleetKey(k string) bool { return strings.HasPrefix(k, fleetPrefix) }
