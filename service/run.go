package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/secret"
)

// Options are what `omswatch run` adds to the configuration file.
type Options struct {
	// ConfigFile is the configuration; "" runs the demo on embedded
	// defaults (the built-in simulator, the shipped conditions, the log
	// target).
	ConfigFile string
	// NewLogger builds the process logger once the configuration's log
	// section is known (the command line may override it). Required.
	NewLogger func(config.Log) (*slog.Logger, error)
	// Redactor masks secrets in logs and errors; Run adds the
	// configuration's. Required.
	Redactor *secret.Redactor
	// Stdout is where the log target prints events, in Format (json or
	// text); Stderr gets the demo's banner.
	Stdout, Stderr io.Writer
	Format         string
	// Record, when set, is a file every raw DescribeProject answer is
	// appended to.
	Record string
	// ShutdownTimeout bounds a drain (SIGTERM) and a reload's stop.
	ShutdownTimeout time.Duration
	// SimProjects and SimTick shape the built-in simulator (the demo, and
	// `oms: {mode: sim}`).
	SimProjects int
	SimTick     time.Duration
	// WatchInterval is how often the configuration's files are checked
	// for changes (0: only SIGHUP reloads).
	WatchInterval time.Duration
	// Version names the build in logs and omswatch_build_info.
	Version string
	// Started, when set, is told the service once it runs (the load run).
	Started func(*Service)
}

func (o *Options) validate() error {
	var errs []error
	if o.NewLogger == nil || o.Redactor == nil || o.Stdout == nil || o.Stderr == nil {
		errs = append(errs, errors.New("service: NewLogger, Redactor, Stdout and Stderr are required"))
	}
	if o.Format != "json" && o.Format != "text" {
		errs = append(errs, fmt.Errorf("--format %q: want json or text", o.Format))
	}
	if o.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--shutdown-timeout %s: want more than 0", o.ShutdownTimeout))
	}
	if o.SimProjects < 1 || o.SimTick <= 0 {
		errs = append(errs, errors.New("--sim-projects and --sim-tick must be more than 0"))
	}
	return Invalid(errors.Join(errs...))
}

// Run is omswatch's service: it builds the components from the
// configuration, polls the projects on their schedules, routes what
// changed to the outbox and delivers it, until ctx ends (SIGTERM,
// SIGINT); then it drains within the shutdown timeout. SIGHUP, or a change
// to a file the configuration reads, reloads the configuration; an invalid
// one is logged and the running one kept.
//
// Errors marked ErrInvalid are the configuration's; a stop asked for
// while starting returns nil.
func Run(ctx context.Context, o Options) error {
	if err := o.validate(); err != nil {
		return err
	}
	cfg, demo, err := runConfig(o.ConfigFile)
	if err != nil {
		return Invalid(err)
	}
	root, err := o.NewLogger(cfg.Log)
	if err != nil {
		return err
	}
	log := root.With("component", "run")
	o.Redactor.Add(cfg.Secrets()...)
	setDefaultGCPercent()
	setDefaultMemoryLimit(log)
	s := &Service{o: o, root: root, log: log}
	s.metrics = newMetrics(o.Version, s.state)
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
	s.syncSlackSocket(ctx, cfg)
	if demo {
		s.printDemo(cfg)
	}
	if o.Started != nil {
		o.Started(s)
	}
	log.Info("omswatch is running", "source", gen.a.source, "config", o.ConfigFile, "version", o.Version)

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

// startFailed is Run's result when starting failed, unless SIGTERM or
// SIGINT came while starting and cancelled it; then nothing was running,
// so there is nothing to drain, and the stop asked for is done, as a stop
// after the start would be.
func (s *Service) startFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		s.log.Info("stopped while starting", "error", err)
		return nil
	}
	return err
}

// shutdown drains the running generation within the shutdown timeout,
// then closes NATS and the servers.
func (s *Service) shutdown() error {
	s.log.Info("stopping: finishing the polls in flight and delivering the outbox", "timeout", s.o.ShutdownTimeout)
	dctx, cancel := context.WithTimeout(context.Background(), s.o.ShutdownTimeout)
	defer cancel()
	start := time.Now()
	s.stopSlackSocket() // no new presses while the rest drains
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
func (s *Service) reload(ctx context.Context, why string) {
	if s.o.ConfigFile == "" {
		s.log.Info("nothing to reload: the demo has no configuration file", "reason", why)
		return
	}
	log := s.log.With("reason", why)
	cfg, err := config.LoadFile(s.o.ConfigFile)
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
		dctx, cancel := context.WithTimeout(ctx, s.o.ShutdownTimeout)
		defer cancel()
		old.stop(dctx)
		s.metrics.throttledBefore.Add(old.Throttled())
	}
	gen, err := s.run(ctx, cfg, a)
	if err == nil {
		s.setCurrent(gen)
		s.syncSlackSocket(ctx, cfg)
		log.Info("configuration reloaded", "config", s.o.ConfigFile)
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

// openRecorder opens a recording file (appending), or returns nil without
// one.
func openRecorder(file string) (omsapi.Recorder, func(), error) {
	if file == "" {
		return nil, func() {}, nil
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, Invalid(fmt.Errorf("--record: %w", err))
	}
	return omsapi.NewRecordingWriter(f), func() { _ = f.Close() }, nil
}
