package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/rules/kvstate"
	"github.com/omswatch/omswatch/service"
)

// silenceFlags are what every silence subcommand needs to reach the
// silence bucket.
type silenceFlags struct {
	config  string
	natsURL string
	timeout time.Duration
}

func (f *silenceFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.config, "config", "", "configuration file: its nats section and rules.silence_bucket (default: the defaults)")
	cmd.Flags().StringVar(&f.natsURL, "nats-url", "", "NATS server to use (default: nats.url, else the embedded server's store, as history reads it)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 10*time.Second, "how long to wait for NATS")
}

func newSilenceCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "silence",
		Short: "Add, list and expire silences (stored in JetStream, seen by every replica)",
		Long: `A silence mutes the events all its matchers match until it ends. Matchers are
name=value (a glob, or ~regex), name!=value, name=~regex or name!~regex, with
name one of: ` + strings.Join(rules.MatcherNames(), ", ") + `. The values of
type, severity, importance and phase must match ones events have
(severity=critcal is an error, not a silence that never mutes).

Silences live in the JetStream key-value bucket rules.silence_bucket of the
configuration's NATS server (nats.url, or the embedded server's store: through
the running omswatch that holds it, or opened here when none runs), so every
omswatch replica applies them at once.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newSilenceAddCmd(c), newSilenceListCmd(c), newSilenceExpireCmd(c))
	return cmd
}

func newSilenceAddCmd(c *cli) *cobra.Command {
	var f silenceFlags
	var dur time.Duration
	var starts, ends, comment, author string
	cmd := &cobra.Command{
		Use:   "add [flags] MATCHER...",
		Short: "Add a silence and print its id",
		Example: `  omswatch silence add project=np_7hq2kd81 'type=oms.condition.*' --duration 2h --comment "planned switchover"
  omswatch silence add 'name=~^staging-' --ends-at 2025-06-02T08:00:00Z`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now().UTC()
			sil, err := newSilence(args, now, dur, starts, ends, comment, author)
			if err != nil {
				return service.Invalid(err)
			}
			return f.with(cmd.Context(), c, func(ctx context.Context, s *kvstate.Silences) error {
				if err := s.Put(ctx, sil); err != nil {
					return err
				}
				// Housekeeping: silences that ended a week ago are history.
				_, _ = s.Prune(ctx, now.Add(-7*24*time.Hour))
				fmt.Fprintln(c.stdout, sil.ID)
				return nil
			})
		},
	}
	f.add(cmd)
	cmd.Flags().DurationVar(&dur, "duration", time.Hour, "how long the silence lasts (when --ends-at is not given)")
	cmd.Flags().StringVar(&starts, "starts-at", "", "RFC 3339 start (default: now)")
	cmd.Flags().StringVar(&ends, "ends-at", "", "RFC 3339 end (default: start + --duration)")
	cmd.Flags().StringVar(&comment, "comment", "", "why, for whoever lists it")
	cmd.Flags().StringVar(&author, "author", os.Getenv("USER"), "who (default: $USER)")
	return cmd
}

// newSilence builds a silence from the command line.
func newSilence(args []string, now time.Time, dur time.Duration, starts, ends, comment, author string) (rules.Silence, error) {
	var errs []error
	start, end := now, time.Time{}
	if t, err := time.Parse(time.RFC3339, starts); err == nil || starts == "" {
		start = cmp.Or(t, now)
	} else {
		errs = append(errs, fmt.Errorf("--starts-at: %w", err))
	}
	if t, err := time.Parse(time.RFC3339, ends); err == nil || ends == "" {
		end = cmp.Or(t, start.Add(dur))
	} else {
		errs = append(errs, fmt.Errorf("--ends-at: %w", err))
	}
	if len(errs) > 0 {
		_, err := rules.ParseMatchers(args)
		return rules.Silence{}, errors.Join(append(errs, err)...)
	}
	return rules.NewSilence(args, start, end, author, comment)
}

func newSilenceListCmd(c *cli) *cobra.Command {
	var f silenceFlags
	var all bool
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List silences in force or to come (--all: also those that ended)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return service.Invalidf("--format %q: want text or json", format)
			}
			return f.with(cmd.Context(), c, func(ctx context.Context, s *kvstate.Silences) error {
				list, err := s.List(ctx)
				if err != nil {
					return err
				}
				return writeSilences(c, list, time.Now().UTC(), all, format)
			})
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "also list silences that have ended")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json (one silence a line)")
	return cmd
}

func writeSilences(c *cli, list []rules.Silence, now time.Time, all bool, format string) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	if format == "text" {
		fmt.Fprintln(tw, "ID\tSTATE\tSTARTS\tENDS\tMATCHERS\tBY\tCOMMENT")
	}
	for _, s := range list {
		state := "active"
		switch {
		case !now.Before(s.EndsAt):
			state = "expired"
		case now.Before(s.StartsAt):
			state = "pending"
		}
		if state == "expired" && !all {
			continue
		}
		if format == "json" {
			b, err := json.Marshal(s)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s\n", b)
			continue
		}
		var ms []string
		for _, m := range s.Matchers {
			ms = append(ms, m.String())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, state, stamp(s.StartsAt), stamp(s.EndsAt),
			strings.Join(ms, " "), s.CreatedBy, strconv.Quote(s.Comment))
	}
	if format == "text" {
		return tw.Flush()
	}
	return nil
}

func newSilenceExpireCmd(c *cli) *cobra.Command {
	var f silenceFlags
	cmd := &cobra.Command{
		Use:   "expire ID...",
		Short: "End silences now",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.with(cmd.Context(), c, func(ctx context.Context, s *kvstate.Silences) error {
				var errs []error
				for _, id := range args {
					if _, err := s.Expire(ctx, id, time.Now().UTC()); err != nil {
						errs = append(errs, err)
						continue
					}
					fmt.Fprintf(c.stdout, "%s expired\n", id)
				}
				if err := errors.Join(errs...); err != nil {
					if errors.Is(err, kvstate.ErrNotFound) {
						return service.Invalid(err)
					}
					return err
				}
				return nil
			})
		},
	}
	f.add(cmd)
	return cmd
}

// with connects to NATS, opens the silence bucket and runs fn.
func (f *silenceFlags) with(ctx context.Context, c *cli, fn func(context.Context, *kvstate.Silences) error) error {
	cfg := config.Default()
	if f.config != "" {
		loaded, err := config.LoadFile(f.config)
		if err != nil {
			return service.Invalid(err)
		}
		cfg = *loaded
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	log, err := c.logger()
	if err != nil {
		return err
	}
	s, closeConn, err := service.OpenSilences(ctx, &cfg, f.natsURL, log)
	if err != nil {
		return err
	}
	defer closeConn()
	return fn(ctx, s)
}
