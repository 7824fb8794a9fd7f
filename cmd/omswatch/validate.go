package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/service"
)

func newValidateCmd(c *cli) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "validate --config FILE",
		Short: "Check a configuration file and list every problem in it",
		Long: `validate loads a configuration file the way omswatch run does and reports
every problem at once, one per line, as FILE:LINE:COLUMN: path: message:
unknown keys, wrong types, values out of range, unset ${VAR}s, unreadable
*_file secrets and included rule files, schedules cron cannot parse, routes
that name unknown targets or match no event type, rule expressions that do
not compile (with their type errors), matchers that can never match.

Exit status: 0 when the file is valid (it prints FILE: ok and a summary),
2 when it is not or cannot be read.`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if file == "" {
				return service.Invalidf("validate: --config FILE is required")
			}
			cfg, _, err := loadRules(file, c.stderr)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "%s: ok\n", file)
			writeSummary(c.stdout, cfg)
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "the configuration file to check (required)")
	return cmd
}

// writeSummary prints what the configuration amounts to, so a user can see
// that the file says what they meant: which OMS, how many projects, routes
// and targets.
func writeSummary(w io.Writer, cfg *config.Config) {
	var oms string
	switch cfg.OMS.Mode {
	case omsapi.ModeCloud:
		oms = fmt.Sprintf("cloud, region %s, endpoint %s, credentials %s", cfg.OMS.Region, cfg.OMS.EndpointURL(), cfg.OMS.Credentials)
	case omsapi.ModeOnPrem:
		oms = fmt.Sprintf("onprem, %s as %s", cfg.OMS.URL, cfg.OMS.Username)
	default:
		oms = "none: the built-in simulator"
	}
	discovery := fmt.Sprintf("%d %s", len(cfg.Discovery.Projects), service.Plural(len(cfg.Discovery.Projects), "project", "projects"))
	if cfg.Discovery.List.Enabled {
		discovery += fmt.Sprintf(" + ListProjects (%s)", cfg.Discovery.List.Refresh)
	}
	nats := "embedded"
	if !cfg.NATS.IsEmbedded() {
		nats = "external"
	}
	var targets []string
	for _, t := range cfg.Targets() {
		targets = append(targets, t.Name+" ("+t.Kind+")")
	}
	fmt.Fprintf(w, "  oms:        %s\n", oms)
	fmt.Fprintf(w, "  discovery:  %s, %s\n", discovery, cfg.Discovery.Mode)
	fmt.Fprintf(w, "  schedule:   %s %s, %d %s\n", cfg.Schedule.Default, cfg.Schedule.Timezone,
		len(cfg.Schedule.Groups), service.Plural(len(cfg.Schedule.Groups), "group", "groups"))
	fmt.Fprintf(w, "  nats:       %s\n", nats)
	fmt.Fprintf(w, "  rules:      %d %s, %d %s, %d %s\n", len(cfg.Rules.Routes), service.Plural(len(cfg.Rules.Routes), "route", "routes"),
		len(cfg.Rules.Conditions), service.Plural(len(cfg.Rules.Conditions), "condition", "conditions"),
		len(cfg.Rules.Inhibit), service.Plural(len(cfg.Rules.Inhibit), "inhibition", "inhibitions"))
	fmt.Fprintf(w, "  targets:    %s\n", strings.Join(targets, ", "))
}

// loadRules loads a configuration file and compiles its rules; its
// problems are printed to stderr one per line and make a usage error
// (exit 2) that counts them.
func loadRules(file string, stderr io.Writer) (*config.Config, *rules.Engine, error) {
	cfg, eng, err := service.LoadRules(file)
	if err == nil {
		return cfg, eng, nil
	}
	problems := service.Problems(err)
	if len(problems) == 0 {
		return nil, nil, err // not a list of problems in the file
	}
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	return nil, nil, service.Invalidf("%s: %d %s", file, len(problems), service.Plural(len(problems), "problem", "problems"))
}
