// Command omswatch watches OceanBase Migration Service projects and tells
// people and programs when something about them changes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/secret"
	"github.com/omswatch/omswatch/service"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure: a poll, a server, a sink
	exitUsage   = 2 // usage or input error: flags, config, files
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// cli is what every subcommand receives: where to write, and the logger built
// from the global flags once they are parsed.
type cli struct {
	stdout, stderr      io.Writer
	logLevel, logFormat string
	// red masks every secret a command learns (the service adds the
	// configuration's) in every log line.
	red *secret.Redactor
}

// logger builds the process logger from --log-level and --log-format.
func (c *cli) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, service.Invalidf("--log-level %q: want debug, info, warn or error", c.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		return slog.New(secret.NewHandler(slog.NewTextHandler(c.stderr, opts), c.red)), nil
	case "json":
		return slog.New(secret.NewHandler(slog.NewJSONHandler(c.stderr, opts), c.red)), nil
	default:
		return nil, service.Invalidf("--log-format %q: want text or json", c.logFormat)
	}
}

// useConfigLog takes the log level and format from the configuration's
// log section, unless --log-level or --log-format was given.
func (c *cli) useConfigLog(cmd *cobra.Command, l config.Log) {
	if f := cmd.Flag("log-level"); f != nil && !f.Changed && l.Level != "" {
		c.logLevel = l.Level
	}
	if f := cmd.Flag("log-format"); f != nil && !f.Changed && l.Format != "" {
		c.logFormat = l.Format
	}
}

// logFor is the logger of a command that has a configuration: its log
// section, unless --log-level or --log-format was given.
func (c *cli) logFor(cmd *cobra.Command) func(config.Log) (*slog.Logger, error) {
	return func(l config.Log) (*slog.Logger, error) {
		c.useConfigLog(cmd, l)
		return c.logger()
	}
}

func newRootCmd(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:   "omswatch",
		Short: "Watch OceanBase Migration Service projects and report what changes",
		Long: `omswatch polls OMS DescribeProject for migration and sync projects, keeps the
previous snapshot of each, turns changes into events and routes them to NATS
and Slack.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.PersistentFlags().StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return service.Invalid(err) })
	// Every command checks the global log flags, logging or not: --log-level
	// verbose is a usage error, not a flag quietly ignored by commands that
	// print and exit.
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		_, err := c.logger()
		return err
	}
	for _, sub := range subcommands {
		root.AddCommand(sub(c))
	}
	return root
}

// subcommands lists every command's constructor; each lives in its own file.
var subcommands = []func(*cli) *cobra.Command{
	newVersionCmd,
	newSimCmd,
	newValidateCmd,
	newDiffCmd,
	newOnceCmd,
	newRunCmd,
	newBenchCmd,
	newRulesCmd,
	newReplayCmd,
	newSilenceCmd,
	newHistoryCmd,
	newExplainCmd,
	newDeadLetterCmd,
	newIncidentCmd,
	newDigestCmd,
	newTestCmd,
}

// run executes the command line and returns the process exit status.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := &cli{stdout: stdout, stderr: stderr, red: &secret.Redactor{}}
	root := newRootCmd(c)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "omswatch: %v\n", c.red.Redact(err.Error()))
	if errors.Is(err, service.ErrInvalid) {
		return exitUsage
	}
	if isCobraUsageError(err) {
		return exitUsage
	}
	return exitFailure
}
