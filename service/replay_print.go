package service

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/sinks"
)

// ReplayPrinter is the ReplayOutput of `omswatch replay`: each
// notification as text (with a Slack target's rendered message) or as one
// ReplayJSON line. Err returns the first write error.
type ReplayPrinter struct {
	out    errWriter
	format string
	dr     *DryRun
}

// NewReplayPrinter prints to w in format (text or json) the
// notifications of cfg's targets.
func NewReplayPrinter(w io.Writer, format string, cfg *config.Config) *ReplayPrinter {
	return &ReplayPrinter{out: errWriter{w: w}, format: format, dr: NewDryRun(cfg)}
}

// Err is the first error writing or encoding.
func (p *ReplayPrinter) Err() error { return p.out.err }

// Skipped prints a failed poll of the recording (text only).
func (p *ReplayPrinter) Skipped(now time.Time, o omssim.Observation, err error) {
	if p.format == "text" {
		line, _, _ := strings.Cut(err.Error(), "\n")
		p.out.printf("# %s %s: failed poll skipped: %s\n", stamp(now), o.Project, line)
	}
}

// ExpressionError prints a rule expression that failed (text only).
func (p *ReplayPrinter) ExpressionError(now time.Time, err error) {
	if p.format == "text" {
		p.out.printf("# %s expression failed (counted as false): %v\n", stamp(now), err)
	}
}

// ReplayJSON is one notification in replay's --format json.
type ReplayJSON struct {
	Time    string            `json:"time"`
	Target  string            `json:"target"`
	Route   string            `json:"route"`
	Group   map[string]string `json:"group"`
	Dropped int               `json:"dropped,omitempty"`
	Events  []event.Event     `json:"events"`
	Payload []string          `json:"payload"`
}

// Notifications prints notifications that would have been sent.
func (p *ReplayPrinter) Notifications(ns []sinks.Notification) {
	for _, n := range ns {
		payload := p.dr.Payload(n.Target, n.Route, n.Events)
		if p.format == "json" {
			group := map[string]string{}
			for _, g := range n.Group {
				group[g.Name] = g.Value
			}
			b, err := json.Marshal(ReplayJSON{Time: stamp(n.Time), Target: n.Target, Route: n.Route, Group: group,
				Dropped: n.Dropped, Events: n.Events, Payload: payload})
			if err != nil {
				p.out.err = errors.Join(p.out.err, err)
				continue
			}
			p.out.printf("%s\n", b)
			continue
		}
		route := n.Route
		if route == "" {
			route = "(default_to)"
		}
		p.out.printf("%s  %s  route %s  %s  %d %s\n", stamp(n.Time), p.dr.Describe(n.Target), route, n.GroupString(),
			len(n.Events), Plural(len(n.Events), "event", "events"))
		for _, e := range n.Events {
			p.out.printf("    %s\n", event.Summary(e))
		}
		if p.dr.Kind(n.Target) == "slack" {
			p.out.printf("    | %s\n", strings.ReplaceAll(payload[0], "\n", "\n    | "))
		}
	}
}
