package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/service"
)

func newDigestCmd(c *cli) *cobra.Command {
	var file, format, since string
	cmd := &cobra.Command{
		Use:   "digest --config FILE [--format text|json] [--since DURATION|TIME]",
		Short: "Print the fleet digest now (docs/INCIDENTS.md, Digest)",
		Long: `digest prints what run posts on digest.cron, as of now: projects by status and phase, open
incidents, top sync delays with their ETA, incidents opened and resolved since --since (default
24h), quiet projects. It reads the store as history does (a running omswatch's NATS, nats.url,
or the store opened here). Exit status: 0, 1 when the store cannot be read, 2 for bad flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := service.DigestRequest{Now: time.Now(), JSON: format == "json"}
			if format != "text" && format != "json" {
				return service.Invalidf("--format %q: want text or json", format)
			}
			var err error
			if since != "" {
				if r.Since, err = service.ParseSince(since, r.Now); err != nil {
					return service.Invalid(err)
				}
			}
			cfg, err := config.LoadFile(file)
			if err != nil {
				return service.Invalid(err)
			}
			log, _ := c.logger() // checked by the root's PersistentPreRunE
			return service.Digest(cmd.Context(), cfg, r, c.stdout, log)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "configuration file (required)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&since, "since", "", "incidents opened and resolved since a duration ago (24h, 7d) or an RFC 3339 time")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}
