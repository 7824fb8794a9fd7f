package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/service"
	"github.com/omswatch/omswatch/sinks"
)

func newHistoryCmd(c *cli) *cobra.Command {
	var file, since, typ, format string
	var patch bool
	cmd := &cobra.Command{
		Use:   "history PROJECT_ID [--config FILE] [--since DURATION|TIME] [--type GLOB] [--format text|json] [--patch]",
		Short: "Print a project's timeline from the audit trail",
		Long: `history reads the audit trail (the JetStream stream every event is stored in
before it is delivered) and prints the project's events, oldest first: time,
type, severity and summary, and with --patch the JSON Patch of each change;
under each, where it went (targets and outcomes, silences, inhibitions, drops).

The stream is read where the configuration says: an external NATS, or the
embedded server of a running omswatch (nats.embedded host and port), or, when
none runs, the embedded server's store directory opened here.

--since takes a duration back from now (90m, 24h, 7d) or an RFC 3339 time;
--type an event type glob (oms.step.*); --format json prints the stored
CloudEvents JSON, one per line, its records in "omswatchrecord".

Exit status: 0, 1 when the stream cannot be read, 2 for bad flags or
configuration.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := service.HistoryQueryOf(args[0], since, typ, format, time.Now())
			if err != nil {
				return err
			}
			cfg, err := service.ReaderConfig(file)
			if err != nil {
				return err
			}
			return runHistory(cmd.Context(), c, cfg, q, service.HistoryFormat{JSON: format == "json", Patch: patch, Type: typ})
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "configuration file (default: the demo's, as `omswatch run` without one keeps it in ./omswatch-data)")
	cmd.Flags().StringVar(&since, "since", "", "only events since a duration ago (24h, 7d) or an RFC 3339 time")
	cmd.Flags().StringVar(&typ, "type", "", "only event types matching this glob, e.g. oms.step.*")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&patch, "patch", false, "print each event's JSON Patch (text format)")
	return cmd
}

func runHistory(ctx context.Context, c *cli, cfg *config.Config, q sinks.HistoryQuery, f service.HistoryFormat) error {
	log, err := c.logger()
	if err != nil {
		return err
	}
	trail, err := service.ReadTrail(ctx, cfg, q, log)
	if err != nil {
		return err
	}
	f.Since = q.Since
	return service.WriteHistory(c.stdout, trail, f)
}
