package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/rules"
)

// BacktestOptions are replay --from-history's flags and where it prints.
type BacktestOptions struct {
	// Project and Since are the flags as given (Since: a duration back
	// from Now, or an RFC 3339 time; empty: the whole history).
	Project, Since string
	// Format is text or json.
	Format string
	Now    time.Time
	Out    io.Writer
	Log    *slog.Logger
}

// PrintBacktest runs a backtest (RunBacktest) and prints it
// (WriteBacktest).
func PrintBacktest(ctx context.Context, cfg *config.Config, eng *rules.Engine, o BacktestOptions) error {
	q, err := NewBacktestQuery(o.Project, o.Since, o.Now)
	if err != nil {
		return err
	}
	bt, err := RunBacktest(ctx, cfg, eng, q, o.Log)
	if err != nil {
		return err
	}
	bt.Now = o.Now
	return WriteBacktest(o.Out, bt, o.Format, NewDryRun(cfg))
}

// WriteBacktest prints a backtest: text for a person (a summary, then
// each difference with what was sent beside what would be), or json (one
// object per difference).
func WriteBacktest(w io.Writer, bt *Backtest, format string, dr *DryRun) error {
	if format == "json" {
		return writeBacktestJSON(w, bt)
	}
	p := &errWriter{w: w}
	p.printf("Replayed %d %s of %d %s, %s to %s, through these rules.\n",
		bt.Observations, Plural(bt.Observations, "observation", "observations"), bt.Projects,
		Plural(bt.Projects, "project", "projects"), stamp(bt.From), stamp(bt.To))
	if !bt.Since.IsZero() {
		p.printf("Compared from %s.\n", stamp(bt.Since))
	}
	p.printf("The running rules sent %d %s (one per event and target); these rules would send %d: %d added, %d removed, %d changed.\n",
		bt.Sent, Plural(bt.Sent, "notification", "notifications"), bt.Would, len(bt.Added), len(bt.Removed), len(bt.Changed))
	if !bt.Now.IsZero() && bt.Now.Sub(bt.To) < idleFlush {
		p.printf("# If omswatch is running, its polls of the last %d minutes that decided nothing may not be here yet.\n", int(idleFlush.Minutes()))
	}
	for _, g := range bt.Gaps {
		p.printf("# history broken at %s\n", g)
	}
	if n := len(bt.ExpressionErrors); n > 0 {
		p.printf("# %d rule %s failed (counted as false); the first: %v\n", n, Plural(n, "expression", "expressions"), bt.ExpressionErrors[0])
	}
	if len(bt.Added)+len(bt.Removed)+len(bt.Changed) == 0 {
		p.printf("No difference: these rules send what the running rules sent.\n")
		return p.err
	}
	p.printf("\nEach difference: the event, then what the running rules sent | what these rules would send.\n")
	for _, s := range bt.Added {
		p.printf("\n+ %s\n    sent: nothing | would send: %s\n", event.Summary(s.Event), route(dr, s))
	}
	for _, s := range bt.Removed {
		p.printf("\n- %s\n    sent: %s | would send: nothing\n", event.Summary(s.Event), route(dr, s))
	}
	for _, c := range bt.Changed {
		p.printf("\n~ %s\n", event.Summary(c.Now.Event))
		if c.Was.Event.ID != c.Now.Event.ID {
			p.printf("    instead of: %s\n", event.Summary(c.Was.Event))
		}
		p.printf("    sent: %s | would send: %s\n", route(dr, c.Was), route(dr, c.Now))
	}
	return p.err
}

// route says where a sending goes: the target, its route and severity.
func route(dr *DryRun, s Sending) string {
	r := s.Route
	if r == "" {
		r = "default_to"
	}
	return fmt.Sprintf("%s, route %s, %s", dr.Describe(s.Target), r, s.Severity)
}

// backtestJSON is one difference in --format json.
type backtestJSON struct {
	Change string       `json:"change"` // added, removed, changed
	Target string       `json:"target"`
	Was    *sendingJSON `json:"was,omitempty"`
	Now    *sendingJSON `json:"now,omitempty"`
	Event  event.Event  `json:"event"`
}

type sendingJSON struct {
	Route    string         `json:"route"`
	Severity event.Severity `json:"severity"`
}

func writeBacktestJSON(w io.Writer, bt *Backtest) error {
	var errs []error
	emit := func(change string, was, now *Sending) {
		j := backtestJSON{Change: change}
		for _, s := range []*Sending{now, was} {
			if s != nil {
				j.Target, j.Event = s.Target, s.Event
			}
		}
		if was != nil {
			j.Was = &sendingJSON{Route: was.Route, Severity: was.Severity}
		}
		if now != nil {
			j.Now = &sendingJSON{Route: now.Route, Severity: now.Severity}
		}
		b, err := json.Marshal(j)
		if err == nil {
			_, err = fmt.Fprintf(w, "%s\n", b)
		}
		errs = append(errs, err)
	}
	for i := range bt.Added {
		emit("added", nil, &bt.Added[i])
	}
	for i := range bt.Removed {
		emit("removed", &bt.Removed[i], nil)
	}
	for i := range bt.Changed {
		emit("changed", &bt.Changed[i].Was, &bt.Changed[i].Now)
	}
	return errors.Join(errs...)
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (p *errWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
