package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/poller"
)

// runOptions are run's flags.
type runOptions struct {
	file            string
	format          string
	record          string
	shutdownTimeout time.Duration
	// The built-in simulator's projects and tick, when the configuration
	// has no oms section.
	simProjects int
	simTick     time.Duration
	// watchEvery is how often the configuration's files are checked for
	// changes (0: never).
	watchEvery time.Duration
	// tickEvery is how often the conditions of unchanged projects are
	// re-evaluated (for:, keep_firing_for, repeat_interval).
	tickEvery time.Duration
	// cmd is the command, whose flags say whether --log-* were given.
	cmd *cobra.Command
	// started, when set, is told the service once it runs (bench).
	started func(*service)
}

func newRunCmd(c *cli) *cobra.Command {
	o := runOptions{}
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
			if o.format != "json" && o.format != "text" {
				return usageErrorf("--format %q: want json or text", o.format)
			}
			if o.shutdownTimeout <= 0 {
				return usageErrorf("--shutdown-timeout %s: want more than 0", o.shutdownTimeout)
			}
			if o.simProjects < 1 || o.simTick <= 0 {
				return usageErrorf("--sim-projects and --sim-tick must be more than 0")
			}
			o.cmd = cmd
			return runService(cmd.Context(), c, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.file, "config", "", "configuration file (none: the demo on embedded defaults)")
	f.StringVar(&o.format, "format", "text", "how the log target prints events on stdout: text or json (CloudEvents, one per line)")
	f.StringVar(&o.record, "record", "", "append every raw DescribeProject answer to this recording file")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM may take to finish the polls in flight and deliver the outbox")
	f.IntVar(&o.simProjects, "sim-projects", 8, "projects of the built-in simulator (used when the configuration has no oms section)")
	f.DurationVar(&o.simTick, "sim-tick", 2*time.Second, "how often the built-in simulator's projects move on")
	f.DurationVar(&o.watchEvery, "watch-interval", 2*time.Second, "how often the configuration's files are checked for changes (0: only SIGHUP reloads)")
	f.DurationVar(&o.tickEvery, "condition-interval", 10*time.Second, "how often conditions of projects that did not change are evaluated again")
	_ = f.MarkHidden("condition-interval")
	return cmd
}

// runService runs until ctx ends (SIGTERM, SIGINT), then drains.
func runService(ctx context.Context, c *cli, o runOptions) error {
	cfg, demo, err := runConfig(o.file)
	if err != nil {
		return usageError(err)
	}
	if o.cmd != nil {
		c.useConfigLog(o.cmd, cfg.Log)
	}
	root, err := c.logger()
	if err != nil {
		return err
	}
	log := root.With("component", "run")
	c.red.Add(cfg.Secrets()...)
	setDefaultMemoryLimit(log)
	s := &service{c: c, o: o, root: root, log: log}
	s.metrics = newMetrics(versionString(), s.state)
	if err := s.open(ctx, cfg); err != nil {
		s.close()
		return s.startFailed(ctx, err)
	}
	gen, err := s.start(ctx, cfg)
	if err != nil {
		s.close()
		return s.startFailed(ctx, err)
	}
	s.setCurrent(gen)
	if demo {
		s.printDemo(cfg)
	}
	if o.started != nil {
		o.started(s)
	}
	log.Info("omswatch is running", "source", gen.a.source, "config", o.file, "version", versionString())

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	changed := s.watchFiles(ctx, cfg)
	for {
		select {
		case <-ctx.Done():
			return s.shutdown()
		case <-hup:
			s.reload(ctx, "SIGHUP")
		case <-changed:
			s.reload(ctx, "a configuration file changed")
		}
	}
}

// startFailed is run's result when starting failed: a failure (exit 1),
// unless SIGTERM or SIGINT came while starting and cancelled it; then
// nothing was running, so there is nothing to drain, and the stop asked
// for is done (exit 0), as a stop after the start would be.
func (s *service) startFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		s.log.Info("stopped while starting", "error", err)
		return nil
	}
	return &exitError{code: exitFailure, err: err}
}

// runConfig loads the configuration file, or without one the demo's.
func runConfig(file string) (*config.Config, bool, error) {
	if file != "" {
		cfg, err := config.LoadFile(file)
		if err == nil {
			// The rules compile here, as validate compiles them: an
			// expression typo is a bad configuration (exit 2), found
			// before NATS, the simulator or the HTTP server start.
			_, err = buildRules(cfg)
		}
		return cfg, false, err
	}
	cfg, err := config.Load(demoRules, "(built-in demo rules)")
	if err != nil {
		return nil, false, fmt.Errorf("the demo's rules: %w", err)
	}
	cfg.File = ""
	// Events within seconds, not at the first 30s cycle.
	cfg.Schedule.Default = "@every 5s"
	cfg.Schedule.Jitter = config.Duration(time.Second)
	cfg.Rules.GroupWait = config.Duration(2 * time.Second)
	// A second demo, or a NATS server already on 4222, still starts.
	if !portFree(cfg.NATS.Embedded.Host, cfg.NATS.Embedded.Port) {
		cfg.NATS.Embedded.Port = -1
	}
	if host, port, err := net.SplitHostPort(cfg.HTTP.Listen); err == nil {
		if p, _ := strconv.Atoi(port); !portFree(host, p) {
			cfg.HTTP.Listen = net.JoinHostPort(host, "0")
		}
	}
	return cfg, true, nil
}

// demoRules are the shipped conditions the demo evaluates.
//
//go:embed demo-rules.yaml
var demoRules []byte

// portFree reports whether host:port can be listened on now.
func portFree(host string, port int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// printDemo tells a newcomer what runs and where to go next (stderr:
// stdout carries the events).
func (s *service) printDemo(cfg *config.Config) {
	fmt.Fprintf(s.c.stderr, `
omswatch demo: no --config, so it polls a built-in OMS simulator (%d generated
projects moving through their lifecycles) and prints every event below.

  Follow the audit trail with the nats CLI:
    nats sub --server %s 'omswatch.events.>'
  Metrics and health:  http://%s/metrics  /healthz  /readyz
  Data (snapshots, outbox): %s

  To watch real projects, write a configuration (see config/example.yaml),
  with credentials in ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET
  or an on-premise OMS user, check it with 'omswatch validate --config FILE', then
  run 'omswatch run --config FILE'.

`, s.o.simProjects, s.natsURL, s.httpAddr, cfg.Store.Dir)
}

// shutdown drains the running generation within the shutdown timeout,
// then closes NATS and the servers.
func (s *service) shutdown() error {
	s.log.Info("stopping: finishing the polls in flight and delivering the outbox", "timeout", s.o.shutdownTimeout)
	dctx, cancel := context.WithTimeout(context.Background(), s.o.shutdownTimeout)
	defer cancel()
	start := time.Now()
	if g := s.current(); g != nil {
		g.stop(dctx)
	}
	s.close()
	if errors.Is(dctx.Err(), context.DeadlineExceeded) {
		s.log.Warn("the shutdown timeout passed; what was not delivered stays in the outbox for the next start")
	}
	s.log.Info("stopped", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// reload loads the configuration again and, when it is valid and its
// components build, replaces the running generation with one on it; else
// the running one goes on, and the log says why.
func (s *service) reload(ctx context.Context, why string) {
	if s.o.file == "" {
		s.log.Info("nothing to reload: the demo has no configuration file", "reason", why)
		return
	}
	log := s.log.With("reason", why)
	cfg, err := config.LoadFile(s.o.file)
	if err != nil {
		log.Error("the new configuration is invalid; keeping the running one", "error", err)
		return
	}
	// Watch the new file set whatever happens next: a fix to an included
	// file must be noticed.
	s.watch(cfg)
	old := s.current()
	if old != nil {
		for _, w := range restartOnly(old.cfg, cfg) {
			log.Warn("this change takes effect only after a restart; keeping the running value", "key", w)
		}
		keepRestartOnly(old.cfg, cfg)
	}
	a, err := s.wire(ctx, cfg)
	if err != nil {
		log.Error("the new configuration cannot start; keeping the running one", "error", err)
		return
	}
	if old != nil {
		dctx, cancel := context.WithTimeout(ctx, s.o.shutdownTimeout)
		defer cancel()
		old.stop(dctx)
		s.metrics.throttledBefore.Add(old.Throttled())
	}
	gen, err := s.run(ctx, cfg, a)
	if err == nil {
		s.setCurrent(gen)
		log.Info("configuration reloaded", "config", s.o.file)
		return
	}
	s.setCurrent(nil)
	if old == nil {
		log.Error("the new configuration failed to start; not polling until the next reload", "error", err)
		return
	}
	log.Error("the new configuration failed to start; going back to the previous one", "error", err)
	if gen, err = s.start(ctx, old.cfg); err != nil {
		log.Error("the previous configuration does not start again either; not polling until the next reload", "error", err)
		return
	}
	s.setCurrent(gen)
}

// restartOnly lists the keys whose change a reload cannot apply: the NATS
// connection, the embedded server's store and the HTTP listener live as
// long as the process.
func restartOnly(old, cur *config.Config) []string {
	var out []string
	if fmt.Sprint(old.NATS.URL, old.NATS.Embedded, old.NATS.User, old.NATS.CredsFile, old.NATS.NKeyFile, old.NATS.TLS) !=
		fmt.Sprint(cur.NATS.URL, cur.NATS.Embedded, cur.NATS.User, cur.NATS.CredsFile, cur.NATS.NKeyFile, cur.NATS.TLS) ||
		old.NATS.Password.Reveal() != cur.NATS.Password.Reveal() || old.NATS.Token.Reveal() != cur.NATS.Token.Reveal() {
		out = append(out, "nats")
	}
	if old.Store.Dir != cur.Store.Dir {
		out = append(out, "store.dir")
	}
	if old.HTTP.Listen != cur.HTTP.Listen {
		out = append(out, "http.listen")
	}
	return out
}

// keepRestartOnly puts the running values of restartOnly's keys into cur:
// the connection settings of nats, not its targets, which a reload applies.
func keepRestartOnly(old, cur *config.Config) {
	targets := cur.NATS.Targets
	cur.NATS, cur.Store.Dir, cur.HTTP.Listen = old.NATS, old.Store.Dir, old.HTTP.Listen
	cur.NATS.Targets = targets
}

// recorder opens --record (appending), or returns nil without it.
func (s *service) recorder() (poller.Recorder, func(), error) {
	if s.o.record == "" {
		return nil, func() {}, nil
	}
	f, err := os.OpenFile(s.o.record, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("--record: %w", err)
	}
	return poller.NewRecordingWriter(f), func() { _ = f.Close() }, nil
}
