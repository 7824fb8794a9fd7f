package secret

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

// Every way a secret can reach a log line through text from elsewhere is
// masked, in both of slog's formats; a secret registered after the logger
// was built is masked too.
func TestHandlerMasksSecretsInEveryLogLine(t *testing.T) {
	const early, late = "ak-secret-0123456789", "xoxb-late-token-42"
	u, _ := url.Parse("https://relay.example.com/hook?token=" + early)
	cases := []struct {
		name string
		log  func(l *slog.Logger)
	}{
		{"message", func(l *slog.Logger) { l.Info("cannot sign with " + early) }},
		{"string attr", func(l *slog.Logger) { l.Info("x", "body", "echo: "+early) }},
		{"error attr", func(l *slog.Logger) { l.Warn("x", "error", fmt.Errorf("post: %w", errors.New("bad key "+early))) }},
		{"stringer attr", func(l *slog.Logger) { l.Info("x", "url", u) }},
		{"group", func(l *slog.Logger) { l.Info("x", slog.Group("req", "auth", "Bearer "+early)) }},
		{"bound attr", func(l *slog.Logger) { l.With("dsn", "nats://u:"+early+"@h").Info("x") }},
		{"nested group", func(l *slog.Logger) { l.WithGroup("g").Info("x", slog.Group("h", "v", early)) }},
		{"registered later", func(l *slog.Logger) { l.Error("slack said invalid_auth for " + late) }},
	}
	for _, format := range []string{"text", "json"} {
		for _, tc := range cases {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				var buf bytes.Buffer
				var h slog.Handler = slog.NewTextHandler(&buf, nil)
				if format == "json" {
					h = slog.NewJSONHandler(&buf, nil)
				}
				r := &Redactor{}
				r.Add(New(early))
				l := slog.New(NewHandler(h, r))
				r.Add(New(late))
				tc.log(l)
				out := buf.String()
				if strings.Contains(out, early) || strings.Contains(out, late) {
					t.Fatalf("a secret leaked: %s", out)
				}
				if !strings.Contains(out, Mask) {
					t.Fatalf("no mask in %s", out)
				}
			})
		}
	}
}

// Values that are not text keep their kind, and a logger with nothing to
// mask logs the same as the handler it wraps.
func TestHandlerKeepsOtherValues(t *testing.T) {
	var plain, wrapped bytes.Buffer
	log := func(l *slog.Logger) { l.Info("polled", "projects", 20, "ok", true, "project", "np_1") }
	log(slog.New(slog.NewJSONHandler(&plain, &slog.HandlerOptions{ReplaceAttr: dropTime})))
	log(slog.New(NewHandler(slog.NewJSONHandler(&wrapped, &slog.HandlerOptions{ReplaceAttr: dropTime}), &Redactor{})))
	if plain.String() != wrapped.String() {
		t.Fatalf("got %s, want %s", wrapped.String(), plain.String())
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
