package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/service"
)

func newReplayCmd(c *cli) *cobra.Command {
	var file, format, project, since string
	var fromHistory bool
	cmd := &cobra.Command{
		Use:   "replay --config FILE (RECORDING.jsonl | --from-history [--project ID] [--since 7d])",
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

--from-history backtests: it replays what the service observed (kept beside the
audit trail; --config must name its store) through these rules and prints what
they would send that was not sent (+), no longer (-), or otherwise (~);
--project and --since narrow it. See docs/ARCHITECTURE.md, Backtest.

Exit status: 0; 1 when the audit trail cannot be read; 2 for bad flags, configuration or recording.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return service.Invalidf("--format %q: want text or json", format)
			}
			if fromHistory == (len(args) == 1) {
				return service.Invalidf("give a RECORDING, or --from-history to replay the audit trail")
			}
			cfg, eng, err := loadRules(file, c.stderr)
			if err != nil {
				return err
			}
			log, err := c.logger()
			if err != nil {
				return err
			}
			if fromHistory {
				return service.PrintBacktest(cmd.Context(), cfg, eng, service.BacktestOptions{Project: project,
					Since: since, Format: format, Now: time.Now(), Out: c.stdout, Log: log})
			}
			obs, err := service.ReadRecording(args[0])
			if err != nil {
				return err
			}
			out := service.NewReplayPrinter(c.stdout, format, cfg)
			if err := service.Replay(cmd.Context(), cfg, eng, obs, out); err != nil {
				return err
			}
			return out.Err()
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "the configuration file whose rules to use (required)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&fromHistory, "from-history", false, "replay the audit trail's history and compare with what was sent")
	cmd.Flags().StringVar(&project, "project", "", "with --from-history: only this project")
	cmd.Flags().StringVar(&since, "since", "", "with --from-history: compare from a duration ago (7d) or an RFC 3339 time")
	return cmd
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
