package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/service"
)

func newIncidentCmd(c *cli) *cobra.Command {
	var file string
	var r service.IncidentRequest
	cmd := &cobra.Command{
		Use:   "incident list|show ID|ack ID|resolve ID [--config FILE] [--all] [--by NAME] [--comment TEXT]",
		Short: "List, show, acknowledge and resolve incidents (docs/INCIDENTS.md)",
		Long: `incident reads the incidents where the configuration keeps them (a running omswatch's NATS,
nats.url, or the store opened here): list (open ones; --all adds resolved ones), show ID, ack ID
(someone took it), resolve ID (end it now). ID may be the start of an id. Exit status: 0, 1 when
it cannot be done, 2 for bad flags.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.Action, r.Now = args[0], time.Now()
			if (len(args) == 2) == (r.Action == "list") {
				return service.Invalidf("%s: list takes no id; show, ack and resolve take one", r.Action)
			}
			r.ID = args[len(args)-1]
			cfg, err := service.ReaderConfig(file)
			if err != nil {
				return err
			}
			log, _ := c.logger() // checked by the root's PersistentPreRunE
			return service.Incidents(cmd.Context(), cfg, r, c.stdout, log)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "configuration file (default: the demo's, as `omswatch run` without one keeps it in ./omswatch-data)")
	cmd.Flags().BoolVar(&r.All, "all", false, "list resolved incidents too")
	cmd.Flags().StringVar(&r.By, "by", "", "who acknowledges or resolves (required for ack and resolve)")
	cmd.Flags().StringVar(&r.Comment, "comment", "", "what you say with it")
	return cmd
}
