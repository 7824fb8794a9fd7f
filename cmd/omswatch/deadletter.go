package main

import (
	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/service"
)

func newDeadLetterCmd(c *cli) *cobra.Command {
	var file, target, format string
	cmd := &cobra.Command{Use: "deadletter list|resend [--config FILE] [--target T]",
		Short: "What targets could not take, and why; resend it once the cause is fixed (docs/TROUBLESHOOTING.md)"}
	run := func(cmd *cobra.Command, ids []string) error {
		cfg, err := service.ReaderConfig(file)
		if err != nil {
			return err
		}
		c.red.Add(cfg.Secrets()...)
		return service.DeadLetterCommand(cmd.Context(), cfg, service.DeadLetterOptions{Resend: cmd.Name() == "resend", IDs: ids,
			Target: target, Format: format, Stdout: c.stdout, NewLogger: c.logFor(cmd)})
	}
	list := &cobra.Command{Use: "list", Args: cobra.NoArgs, RunE: run,
		Short: "Print each dead letter: id, time, target, project, type, severity, attempts, resends, reason"}
	resend := &cobra.Command{Use: "resend [ID...]", RunE: run,
		Short: "Re-queue dead letters (ids or event ids; none: all not resent yet) to be delivered once"}
	cmd.PersistentFlags().StringVar(&file, "config", "", "configuration file (default: the demo's, as `omswatch run` without one keeps it in ./omswatch-data)")
	cmd.PersistentFlags().StringVar(&target, "target", "", "only this target's dead letters")
	list.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.AddCommand(list, resend)
	return cmd
}
