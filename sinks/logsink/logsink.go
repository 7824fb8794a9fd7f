// Package logsink is the log target: events as JSON lines (or one-line
// text) on stdout. It is the default target, taking every event no route
// takes.
package logsink

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// Config is the log target.
type Config struct {
	// Format is json (default: the CloudEvents JSON, one per line) or text
	// (Text's line per event).
	Format string
	// Text renders an event as one line in the text format; required then.
	Text func(event.Event) string
}

// Sink writes events to a writer. It is safe for concurrent use.
type Sink struct {
	cfg Config
	mu  sync.Mutex
	w   io.Writer
}

// New returns the log target writing to w (stdout).
func New(cfg Config, w io.Writer) (*Sink, error) {
	if cfg.Format == "" {
		cfg.Format = "json"
	}
	if cfg.Format != "json" && cfg.Format != "text" {
		return nil, fmt.Errorf("log target: format %q: want json or text", cfg.Format)
	}
	if cfg.Format == "text" && cfg.Text == nil {
		return nil, fmt.Errorf("log target: the text format needs a Text function")
	}
	return &Sink{cfg: cfg, w: w}, nil
}

// Send writes one line per event; a write error is transient (a full disk,
// a closed pipe that may be reopened).
func (s *Sink) Send(_ context.Context, n sinks.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	bw := bufio.NewWriter(s.w)
	for i, e := range n.Events {
		if s.cfg.Format == "text" {
			_, _ = bw.WriteString(s.cfg.Text(e))
		} else {
			b, err := n.Payload(i)
			if err != nil {
				return sinks.Permanent(fmt.Errorf("encode event %s: %w", e.ID, err))
			}
			_, _ = bw.Write(b)
		}
		_ = bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("log target: %w", err)
	}
	return nil
}
