package service

import (
	_ "embed"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/omswatch/omswatch/config"
)

// runConfig loads the configuration file, or without one the demo's.
func runConfig(file string) (*config.Config, bool, error) {
	if file != "" {
		cfg, err := config.LoadFile(file)
		if err == nil {
			// The rules compile here, as validate compiles them: an
			// expression typo is a bad configuration (exit 2), found
			// before NATS, the simulator or the HTTP server start.
			_, err = BuildRules(cfg)
		}
		return cfg, false, err
	}
	cfg, err := demoConfig()
	if err != nil {
		return nil, false, err
	}
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

// ReaderConfig is the configuration of a command that reads the store
// (history, explain, incident, deadletter, digest): the file, or without
// one the demo's, so that after `omswatch run` in a folder these commands
// read its ./omswatch-data (or the demo running there) with no file to
// write. Its errors are the input's (ErrInvalid).
func ReaderConfig(file string) (*config.Config, error) {
	if file == "" {
		return demoConfig()
	}
	cfg, err := config.LoadFile(file)
	if err != nil {
		return nil, Invalid(err)
	}
	return cfg, nil
}

// demoConfig is the configuration of `omswatch run` without one, before
// run's changes for a quick demo (schedule, ports).
func demoConfig() (*config.Config, error) {
	cfg, err := config.Load(demoRules, "(built-in demo rules)")
	if err != nil {
		return nil, fmt.Errorf("the demo's rules: %w", err)
	}
	cfg.File = ""
	return cfg, nil
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
func (s *Service) printDemo(cfg *config.Config) {
	fmt.Fprintf(s.o.Stderr, `
omswatch demo: no --config, so it polls a built-in OMS simulator (%d generated
projects moving through their lifecycles) and prints every event below.

  Follow the audit trail with the nats CLI:
    nats sub --server %s 'omswatch.events.>'
  Web console:         http://%[3]s/  (the fleet, each project's timeline and lag)
  Metrics and health:  http://%[3]s/metrics  /healthz  /readyz
  Data (snapshots, outbox): %s

  To watch real projects, write a configuration (see config/example.yaml),
  with credentials in ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET
  or an on-premise OMS user, check it with 'omswatch validate --config FILE', then
  run 'omswatch run --config FILE'.

`, s.o.SimProjects, s.natsURL, s.httpAddr, cfg.Store.Dir)
}
