package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/service"
)

func newRunCmd(c *cli) *cobra.Command {
	o := service.Options{}
	cmd := &cobra.Command{
		Use:   "run [--config FILE]",
		Short: "Watch the projects on their schedules and deliver the events until stopped",
		Long: `run is omswatch's service: it polls the projects on their schedules, turns
what changed into events, routes them through the rules to the outbox (the
audit trail) and delivers them to every target, until SIGTERM or Ctrl-C.

With no --config it runs a demo on embedded defaults: an embedded NATS server
with JetStream under ./omswatch-data, the built-in OMS simulator with a few
generated projects moving through their lifecycles, the default rules, and
the log target printing every event on stdout.

Metrics (/metrics), liveness (/healthz) and readiness (/readyz: NATS
reachable, OMS accepting the credentials, first poll cycle done) are served
on http.listen.

SIGTERM or SIGINT drains: no new poll starts, the polls in flight finish,
the outbox is delivered, NATS is closed, all within --shutdown-timeout.
SIGHUP, or a change to any file the configuration reads, reloads the
configuration and rules; an invalid one is logged and the running one kept.

Exit status: 0 after a drain, 1 if the service cannot start or stops on an
error, 2 for a bad configuration or flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.NewLogger, o.Redactor, o.Stdout, o.Stderr, o.Version = c.logFor(cmd), c.red, c.stdout, c.stderr, versionString()
			return service.Run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ConfigFile, "config", "", "configuration file (none: the demo on embedded defaults)")
	f.StringVar(&o.Format, "format", "text", "how the log target prints events on stdout: text or json (CloudEvents, one per line)")
	f.StringVar(&o.Record, "record", "", "append every raw DescribeProject answer to this recording file")
	f.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM may take to finish the polls in flight and deliver the outbox")
	f.IntVar(&o.SimProjects, "sim-projects", 8, "projects of the built-in simulator (the demo, and oms.mode sim)")
	f.DurationVar(&o.SimTick, "sim-tick", 2*time.Second, "how often the built-in simulator's projects move on")
	f.DurationVar(&o.WatchInterval, "watch-interval", 2*time.Second, "how often the configuration's files are checked for changes (0: only SIGHUP reloads)")
	return cmd
}
