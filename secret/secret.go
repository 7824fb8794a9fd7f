package secret

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// Mask is what a secret prints as, wherever it is printed.
const Mask = "****"

// String is a secret value. Its zero value is the empty secret. Only Reveal
// returns the value itself; every printing path (fmt verbs, slog, JSON, YAML)
// shows Mask, or "" when the secret is empty so a missing credential is
// visible in dumps.
type String struct {
	value string
}

// New wraps value as a secret.
func New(value string) String { return String{value: value} }

// Reveal returns the secret value. Call it only where the value is handed to
// the protocol that needs it (a signer, an Authorization header).
func (s String) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s.value == "" }

func (s String) masked() string {
	if s.value == "" {
		return ""
	}
	return Mask
}

// String implements fmt.Stringer with the mask.
func (s String) String() string { return s.masked() }

// GoString keeps %#v from printing the value.
func (s String) GoString() string { return `secret.String("` + s.masked() + `")` }

// Format covers every fmt verb, including %x and %q, which would otherwise
// bypass String for a struct.
func (s String) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte(s.masked()))
}

// LogValue implements slog.LogValuer.
func (s String) LogValue() slog.Value { return slog.StringValue(s.masked()) }

// MarshalJSON writes the mask.
func (s String) MarshalJSON() ([]byte, error) { return json.Marshal(s.masked()) }

// MarshalText writes the mask; it also covers YAML encoders that use
// encoding.TextMarshaler.
func (s String) MarshalText() ([]byte, error) { return []byte(s.masked()), nil }

// MarshalYAML writes the mask.
func (s String) MarshalYAML() (any, error) { return s.masked(), nil }

// UnmarshalText reads a secret from configuration text.
func (s *String) UnmarshalText(b []byte) error {
	s.value = string(b)
	return nil
}

// Redactor replaces every registered secret value in a text with Mask. It is
// safe for concurrent use; one Redactor is shared by a process's logger and
// error paths.
type Redactor struct {
	mu       sync.RWMutex
	values   []string
	replacer *strings.Replacer
}

// minRedactLen keeps tiny values (a one-letter password) from turning every
// occurrence of that letter in a log line into a mask.
const minRedactLen = 4

// Add registers secrets whose values must never appear in output.
func (r *Redactor) Add(secrets ...String) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s.value) < minRedactLen || slices.Contains(r.values, s.value) {
			continue // a reload adds the same secrets again
		}
		r.values = append(r.values, s.value)
	}
	pairs := make([]string, 0, 2*len(r.values))
	for _, v := range r.values {
		pairs = append(pairs, v, Mask)
	}
	r.replacer = strings.NewReplacer(pairs...)
}

// Redact returns text with every registered secret replaced by Mask.
func (r *Redactor) Redact(text string) string {
	if r == nil {
		return text
	}
	r.mu.RLock()
	rep := r.replacer
	r.mu.RUnlock()
	if rep == nil {
		return text
	}
	return rep.Replace(text)
}
