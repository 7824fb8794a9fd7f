package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/differ"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/rules"
)

func newReplayCmd(c *cli) *cobra.Command {
	var file, format string
	cmd := &cobra.Command{
		Use:   "replay --config FILE RECORDING.jsonl",
		Short: "Run a recording through diff, conditions and routes and print what would be sent",
		Long: `replay feeds a recording (JSON Lines of DescribeProject answers, as the
poller's --record and the simulator write them) through canonicalisation,
the differ, the conditions and the routes of the configuration, with the
recording's timestamps as the clock, so for:, keep_firing_for:, group_wait,
repeat_interval and rate limits behave as they would have. It prints every
notification that would have been sent, to which target and when; nothing is
sent. A failed poll in the recording (Success:false) is skipped.

--format text (default) prints each notification and its rendered payload;
--format json prints one JSON object per notification.

Exit status: 0, or 2 when the configuration or the recording is invalid.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErrorf("--format %q: want text or json", format)
			}
			cfg, eng, err := loadRules(file, c.stderr)
			if err != nil {
				return err
			}
			obs, err := readRecording(args[0])
			if err != nil {
				return usageError(err)
			}
			out := &replayPrinter{w: c.stdout, format: format, dr: newDryRun(cfg)}
			if err := replay(cmd.Context(), eng, obs, out); err != nil {
				return err
			}
			return out.err
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "the configuration file whose rules to use (required)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func readRecording(name string) ([]omssim.Observation, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read recording: %w", err)
	}
	defer f.Close()
	obs, err := omssim.ReadRecording(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return obs, nil
}

// replay runs the observations in order on the recording's clock: before
// each observation the notifications due by its time are printed, and at
// the end everything still waiting, at the time it would have been sent.
func replay(ctx context.Context, eng *rules.Engine, obs []omssim.Observation, out *replayPrinter) error {
	store := &rules.MemStore{}
	disp := eng.NewDispatcher()
	last := map[[2]string]*oms.Snapshot{}
	ended := map[[2]string]bool{}
	for i, o := range obs {
		now := o.Time.UTC()
		out.notifications(disp.Due(now))
		key := [2]string{o.Source, o.Project}
		if ended[key] {
			continue // run stops polling a project once it is RELEASED or DELETED
		}
		prev := last[key]
		// Reusing the project's last snapshot gives what ParseSnapshot
		// gives, faster on a recording of big projects.
		cur, err := oms.ParseSnapshotReusing(o.Response, prev)
		if err != nil {
			out.skipped(now, o, err)
			continue
		}
		dobs := differ.Observation{Source: o.Source, Time: now}
		res, err := differ.Diff(prev, cur, dobs)
		if err != nil {
			return usageErrorf("recording line %d: %v", i+1, err)
		}
		events := res.Events
		final := finalStatus(cur)
		if final {
			// As run does: a project that reached a final status is
			// removed, and its firing conditions resolve.
			e, err := differ.Removed(cur, dobs)
			if err != nil {
				return usageErrorf("recording line %d: %v", i+1, err)
			}
			events = append(events, e)
		}
		st, err := store.Load(ctx, o.Source, o.Project)
		if err != nil {
			return err
		}
		outcome, err := eng.Evaluate(rules.Poll{Source: o.Source, Prev: prev, Cur: cur, Events: events,
			Now: now, State: st})
		if err != nil {
			return err
		}
		if final {
			r := eng.Resolve(o.Source, cur, now, outcome.State, nil)
			outcome.Deliveries = append(outcome.Deliveries, r.Deliveries...)
			outcome.Errors = append(outcome.Errors, r.Errors...)
			outcome.State = rules.State{}
			ended[key] = true
		}
		for _, e := range outcome.Errors {
			out.expressionError(now, e)
		}
		if err := store.Save(ctx, o.Source, o.Project, outcome.State); err != nil {
			return err
		}
		disp.Add(now, outcome.Deliveries)
		last[key] = cur
	}
	out.notifications(disp.Flush())
	return nil
}

// finalStatus reports whether a snapshot's status is one run stops
// polling at (RELEASED, DELETED).
func finalStatus(s *oms.Snapshot) bool {
	status, _ := s.Member("Status").(string)
	return status == "RELEASED" || status == "DELETED"
}

// replayPrinter writes notifications as text or JSON lines.
type replayPrinter struct {
	w      io.Writer
	format string
	dr     *dryRun
	err    error
}

func (p *replayPrinter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *replayPrinter) skipped(now time.Time, o omssim.Observation, err error) {
	if p.format == "text" {
		p.printf("# %s %s: failed poll skipped: %s\n", stamp(now), o.Project, firstLineOf(err.Error()))
	}
}

func (p *replayPrinter) expressionError(now time.Time, err error) {
	if p.format == "text" {
		p.printf("# %s expression failed (counted as false): %v\n", stamp(now), err)
	}
}

// replayJSON is one notification in --format json.
type replayJSON struct {
	Time    string            `json:"time"`
	Target  string            `json:"target"`
	Route   string            `json:"route"`
	Group   map[string]string `json:"group"`
	Dropped int               `json:"dropped,omitempty"`
	Events  []event.Event     `json:"events"`
	Payload []string          `json:"payload"`
}

func (p *replayPrinter) notifications(ns []rules.Notification) {
	for _, n := range ns {
		payload := p.dr.payload(n.Target, n.Route, n.Events)
		if p.format == "json" {
			group := map[string]string{}
			for _, g := range n.Group {
				group[g.Name] = g.Value
			}
			b, err := json.Marshal(replayJSON{Time: stamp(n.Time), Target: n.Target, Route: n.Route, Group: group,
				Dropped: n.Dropped, Events: n.Events, Payload: payload})
			if err != nil {
				p.err = errors.Join(p.err, err)
				continue
			}
			p.printf("%s\n", b)
			continue
		}
		route := n.Route
		if route == "" {
			route = "(default_to)"
		}
		p.printf("%s  %s  route %s  %s  %d %s\n", stamp(n.Time), p.dr.describe(n.Target), route, n.GroupString(),
			len(n.Events), plural(len(n.Events), "event", "events"))
		for _, e := range n.Events {
			p.printf("    %s\n", rules.Summary(e))
		}
		if p.dr.kinds[n.Target] == "slack" {
			p.printf("%s\n", indent(payload[0], "    | "))
		}
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
