package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/service"
)

func newDigestCmd(c *cli) *cobra.Command {
	var file, format, since string
	cmd := &cobra.Command{
		Use:   "digest [--config FILE] [--format text|json] [--since DURATION|TIME]",
		Short: "Print the fleet digest now (docs/INCIDENTS.md, Digest)",
		Long:  "digest prints what run posts on digest.cron, now, from the store as history reads it (even one a running omswatch holds).\nExit status: 0, 1 when it cannot be read, 2 for bad flags.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := service.DigestRequestOf(format, since, time.Now())
			if err != nil {
				return err
			}
			cfg, err := service.ReaderConfig(file)
			if err != nil {
				return err
			}
			log, _ := c.logger() // checked by the root's PersistentPreRunE
			return service.Digest(cmd.Context(), cfg, r, c.stdout, log)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "configuration file (default: the demo's, as `omswatch run` without one keeps it in ./omswatch-data)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&since, "since", "", "incidents opened and resolved since a duration ago (24h, 7d) or an RFC 3339 time")
	return cmd
}
