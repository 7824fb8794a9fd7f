package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/service"
)

func newTestCmd(c *cli) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "test TARGET --config FILE",
		Short: "Send one clearly marked test message to a target and print its answer",
		Long: `test sends one test message to the named target of the configuration and
prints what the target answered: Slack a plain message (bot or webhook),
with the ts; a webhook a POST of a CloudEvent of type omswatch.test; NATS
that event on its subject; Alertmanager an alert already resolved and
PagerDuty a resolve of a test dedup_key (neither pages). It checks tokens,
channels, the bot's membership and URLs before a real alert needs them.

Exit status: 0 when the target took the message, 1 when it refused it or
could not be reached (the reason is printed), 2 for a bad configuration or
an unknown target.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return service.Invalidf("--config is required")
			}
			cfg, err := config.LoadFile(file)
			if err != nil {
				return service.Invalid(err)
			}
			c.useConfigLog(cmd, cfg.Log)
			log, err := c.logger()
			if err != nil {
				return err
			}
			c.red.Add(cfg.Secrets()...)
			answer, err := service.TestTarget(cmd.Context(), cfg, args[0], service.TestOptions{Logger: log, Redactor: c.red, Stdout: c.stdout})
			if err != nil {
				return fmt.Errorf("target %s: %w", args[0], err)
			}
			fmt.Fprintf(c.stdout, "target %s: %s\n", args[0], answer)
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "configuration file (required)")
	return cmd
}
