package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/service"
)

func newOnceCmd(c *cli) *cobra.Command {
	var file, format, record string
	cmd := &cobra.Command{
		Use:   "once --config FILE [--format text|json] [--record FILE]",
		Short: "Poll every configured and discovered project once and deliver the events",
		Long: `once polls every project the configuration names or discovers, once, now,
and routes what changed since the stored snapshots (the first poll of a
project gives oms.project.discovered) as omswatch run would: diff, conditions,
routes, the outbox (the audit trail), then every target. Snapshots are saved
once the events are in the outbox. Before it exits, once delivers what it
routed (group_wait cut short), waiting up to 30s for slow targets; what they
did not take stays in the outbox for the next run.

With oms.mode sim, once polls the built-in simulator, started in-process
with the demo credentials.

Events routed to the log target (by default every event no route takes) are
printed on stdout: --format text (the default) one line per event, as every
command prints events; json one CloudEvents JSON object per line. --record FILE appends every raw DescribeProject
answer to FILE as a recording, which omswatch sim --recording replays.

Exit status: 0 if every poll succeeded and every target took what it was
routed, 1 if a poll failed or a target did not take everything (one line
per target says what: dead-lettered and why, or still waiting), 2 for a bad
configuration or flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return service.Invalidf("--config is required")
			}
			if format != "json" && format != "text" {
				return service.Invalidf("--format %q: want json or text", format)
			}
			cfg, err := config.LoadFile(file)
			if err != nil {
				return service.Invalid(err)
			}
			c.useConfigLog(cmd, cfg.Log)
			return runOnce(cmd, c, cfg, format, record)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "configuration file (required)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text (one line per event) or json (its CloudEvents JSON, one per line)")
	cmd.Flags().StringVar(&record, "record", "", "append every raw DescribeProject answer to this recording file")
	return cmd
}

func runOnce(cmd *cobra.Command, c *cli, cfg *config.Config, format, record string) error {
	log, err := c.logger()
	if err != nil {
		return err
	}
	rep, err := service.Once(cmd.Context(), cfg, service.OnceOptions{Logger: log, Redactor: c.red,
		Stdout: c.stdout, Format: format, Record: record})
	for _, line := range rep.Undelivered {
		fmt.Fprintln(c.stderr, line)
	}
	if err != nil {
		return err
	}
	sum := rep.Polls
	var problems []string
	if sum.Failed > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d polls failed: %s", sum.Failed, sum.Polled, sum.FailureList(3)))
	}
	if n := len(rep.Undelivered); n > 0 {
		problems = append(problems, fmt.Sprintf("%d %s did not take everything (above)", n, service.Plural(n, "target", "targets")))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}
