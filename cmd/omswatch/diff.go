package main

import (
	"bytes"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/service"
)

func newDiffCmd(c *cli) *cobra.Command {
	var format, at string
	cmd := &cobra.Command{
		Use:   "diff [--format text|json] [--time RFC3339] OLD NEW",
		Short: "Print the events between two DescribeProject responses",
		Long: `diff compares two DescribeProject responses (a full envelope or a bare Data
object, cloud PascalCase or on-premise camelCase) the way omswatch does between
two polls, and prints the events of the event catalog.

An empty OLD file means "no previous snapshot": the project is discovered.
--format text (the default) prints one line per event, as every command
prints events (time, severity, type, project name and id, what happened);
--format json prints one CloudEvents JSON object per line, in a stable order.

Events need a time. It is --time when given; otherwise NEW's GmtModified (OMS
documents it as UTC), or 1970-01-01T00:00:00Z when NEW has none, so the same
files always print the same events. The source is file://.

Exit status: 0 with or without events, 2 when a file cannot be read, is not
JSON, or is a Success:false response (one line on stderr, nothing on stdout).`,
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			if format != "json" && format != "text" {
				return service.Invalidf("--format %q: want json or text", format)
			}
			out, err := runDiff(args[0], args[1], format, at)
			if err != nil {
				return err
			}
			_, err = c.stdout.Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text (one line per event) or json (its CloudEvents JSON, one per line)")
	cmd.Flags().StringVar(&at, "time", "", "event time, RFC 3339 (default: NEW's GmtModified)")
	return cmd
}

// runDiff computes the whole output before anything is printed, so a bad
// input leaves stdout empty.
func runDiff(oldPath, newPath, format, at string) ([]byte, error) {
	var when time.Time
	if at != "" {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return nil, service.Invalidf("--time %q: want an RFC 3339 time such as 2025-06-01T08:00:00Z", at)
		}
		when = t
	}
	events, err := service.DiffFiles(oldPath, newPath, when)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	for _, e := range events {
		if format == "text" {
			buf.WriteString(event.Summary(e))
			buf.WriteByte('\n')
			continue
		}
		b, err := e.JSON()
		if err != nil {
			return nil, fmt.Errorf("encode event %s: %w", e.ID, err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}
