package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/rules"
	"github.com/omswatch/omswatch/service"
)

func newRulesCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Work with the rules of a configuration",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newRulesTestCmd(c))
	return cmd
}

func newRulesTestCmd(c *cli) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "test --config FILE EVENT.json...",
		Short: "Show which routes take events and what each target would be sent",
		Long: `rules test routes each event of the files (CloudEvents JSON: one object, or
one per line as omswatch diff --format json prints them; - reads stdin)
through the configuration's rules and prints which routes took it, its
targets and what each would be sent. Nothing is sent (a dry run, like
amtool config routes test).

Expressions see the event and the project fields it carries; there is no
previous snapshot, no condition state, no silence and no inhibition, and
once_per shows its key without suppressing.

Exit status: 0, or 2 when the configuration or an event file is invalid.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, eng, err := loadRules(file, c.stderr)
			if err != nil {
				return err
			}
			dr := service.NewDryRun(cfg)
			for _, name := range args {
				events, err := service.ReadEvents(name, cmd.InOrStdin())
				if err != nil {
					return err
				}
				for i, e := range events {
					writeRouteTest(c.stdout, eng, dr, fmt.Sprintf("%s:%d", name, i+1), e)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "the configuration file whose rules to use (required)")
	return cmd
}

// writeRouteTest prints one event's decision and the dry-run payloads.
func writeRouteTest(w io.Writer, eng *rules.Engine, dr *service.DryRun, label string, e event.Event) {
	fmt.Fprintf(w, "%s: %s\n", label, event.Summary(e))
	d, err := eng.Route(e)
	if err != nil {
		fmt.Fprintf(w, "  expression failed (counted as false): %v\n", err)
	}
	routes := eng.Routes()
	for _, h := range d.Routes {
		rt := routes[h.Index]
		name := h.Name
		if name == "" {
			name = "(unnamed)"
		}
		line := fmt.Sprintf("  route %s (%s, %s): %s", name, rt.Path, rt.Where, h.Action)
		if len(h.Targets) > 0 {
			line += " -> " + strings.Join(h.Targets, ", ")
		}
		if h.Key != "" || rt.OncePer.Text != "" {
			line += fmt.Sprintf(" [once_per %q]", h.Key)
		}
		if rt.Continue {
			line += " (continue)"
		}
		fmt.Fprintln(w, line)
	}
	if d.Default {
		fmt.Fprintf(w, "  no route took it: default_to %s\n", listOrNone(eng.Config().DefaultTo))
	}
	if len(d.Deliveries) == 0 {
		fmt.Fprintln(w, "  nothing is sent")
	}
	for _, de := range d.Deliveries {
		fmt.Fprintf(w, "  => %s, severity %s\n", dr.Describe(de.Target), de.Event.Severity)
		for _, p := range dr.Payload(de.Target, de.Route, []event.Event{de.Event}) {
			fmt.Fprintln(w, indent(p, "     "))
		}
	}
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "[] (the event is dropped)"
	}
	return strings.Join(items, ", ")
}
