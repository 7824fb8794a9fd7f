package service

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
)

// explain's window ends at now: at the default --at (now) it says it
// looked up to now, not a quarter of an hour into the future.
func TestExplainWindowEndsNow(t *testing.T) {
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		now  time.Time
		want string
	}{
		{"at now", at, "(looking from 02:45:00 to 03:00:00)"},
		{"five minutes ago", at.Add(5 * time.Minute), "(looking from 02:45:00 to 03:05:00)"},
		{"an hour ago", at.Add(time.Hour), "(looking from 02:45:00 to 03:15:00)"},
		{"no now given", time.Time{}, "(looking from 02:45:00 to 03:15:00)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			trail := newTrail("np_1", nil, nil, slog.New(slog.DiscardHandler))
			if err := Explain(&b, trail, &config.Config{}, ExplainQuery{At: at, Now: tc.now}); err != nil {
				t.Fatal(err)
			}
			if first, _, _ := strings.Cut(b.String(), "\n"); !strings.HasSuffix(first, tc.want) {
				t.Errorf("header %q, want it to end %q", first, tc.want)
			}
		})
	}
}
