package main

import (
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/service"
	"github.com/omswatch/omswatch/sinks"
)

func newExplainCmd(c *cli) *cobra.Command {
	var file, at string
	var q service.ExplainQuery
	cmd := &cobra.Command{
		Use:   "explain PROJECT_ID [--config FILE] [--at TIME | --event ID | --rule NAME]",
		Short: "Say why something did or did not fire for a project",
		Long: `explain reads the audit trail and the decision records, as history does, and
says in words why something did or did not fire: for each condition its state
at --at (default now), its changes and values around it and why it did or did
not reach for:, then for each event of that time the routes, silences,
inhibitions, grouping and delivery attempts. --event ID (or its first
characters) explains one event; --rule NAME one condition over the whole
trail. --at takes an RFC 3339 time or a duration back from now (10m).

Exit status: 0, 1 when the stream cannot be read, 2 for bad flags or
configuration, an unknown event or rule.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			given := slices.DeleteFunc([]string{at, q.Event, q.Rule}, func(s string) bool { return s == "" })
			if len(given) > 1 {
				return service.Invalidf("want at most one of --at, --event and --rule")
			}
			hq := sinks.HistoryQuery{Project: args[0]}
			q.At = time.Now()
			q.Now = q.At
			if at != "" {
				t, err := service.ParseSince(at, q.At)
				if err != nil {
					return service.Invalid(err)
				}
				q.At, hq.Since = t, t.Add(-service.DefaultExplainWindow-time.Hour)
			}
			cfg, err := service.ReaderConfig(file)
			if err != nil {
				return err
			}
			log, err := c.logger()
			if err != nil {
				return err
			}
			trail, err := service.ReadTrail(cmd.Context(), cfg, hq, log)
			if err != nil {
				return err
			}
			return service.Explain(c.stdout, trail, cfg, q)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "configuration file (default: the demo's, as `omswatch run` without one keeps it in ./omswatch-data)")
	cmd.Flags().StringVar(&at, "at", "", "the time to explain: RFC 3339, or a duration back from now (10m); default now")
	cmd.Flags().StringVar(&q.Event, "event", "", "explain this event (its id, or the first characters of it)")
	cmd.Flags().StringVar(&q.Rule, "rule", "", "explain this condition over the whole trail")
	return cmd
}
