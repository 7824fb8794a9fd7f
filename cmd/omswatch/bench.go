package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/oms/omssim"
)

// benchOptions are bench's flags.
type benchOptions struct {
	projects int
	duration time.Duration
	schedule string
	jitter   time.Duration
	tick     time.Duration
	mode     string
	dir      string
}

func newBenchCmd(c *cli) *cobra.Command {
	o := benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench [--projects 10000] [--duration 5m]",
		Short: "Load run: the simulator with many projects, run against it, and the figures",
		Long: `bench starts the built-in simulator as a child process (omswatch sim) with
--projects generated projects moving every --tick, then runs the service in
this process against it, as run --config would (embedded NATS, the outbox, a
NATS target), polling every project on --schedule, for --duration. Then it
drains and prints: CPU use of the service (the embedded NATS server
included, the simulator not), its peak RSS, polls/s, events/s and the
latency from a change's observation to its delivery on the NATS target
(p50, p90, p99, max).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.projects < 1 || o.duration <= 0 {
				return usageErrorf("--projects and --duration must be more than 0")
			}
			return runBench(cmd.Context(), c, o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.projects, "projects", 10000, "generated projects")
	f.DurationVar(&o.duration, "duration", 5*time.Minute, "how long the service runs")
	f.StringVar(&o.schedule, "schedule", "@every 60s", "the poll schedule")
	f.DurationVar(&o.jitter, "jitter", 30*time.Second, "per-project jitter of the schedule")
	f.DurationVar(&o.tick, "tick", 10*time.Second, "how often the simulator's projects move on")
	f.StringVar(&o.mode, "mode", "two_tier", "discovery mode: two_tier or describe_always")
	f.StringVar(&o.dir, "dir", "", "where the service keeps its data (default: a temporary directory, removed after)")
	return cmd
}

func runBench(ctx context.Context, c *cli, o benchOptions) error {
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "omswatch-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	simURL, stopSim, err := startBenchSimulator(ctx, o)
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	defer stopSim()
	file := filepath.Join(dir, "bench.yaml")
	doc := fmt.Sprintf(`oms:
  mode: cloud
  region: cn-hangzhou
  endpoint: %s
  credentials: static
  access_key_id: %s
  access_key_secret: %s
  qps: 2000
  max_in_flight: 16
discovery:
  list:
    enabled: true
    page_size: 100
    refresh: "@every 10m"
  mode: %s
schedule:
  default: %q
  jitter: %s
store:
  dir: %s
nats:
  embedded:
    port: -1
  targets:
    bench: {}
rules:
  default_to: [bench]
  group_wait: 0s
http:
  listen: 127.0.0.1:0
`, simURL, omssim.DemoAccessKeyID, omssim.DemoAccessKeySecret, o.mode, o.schedule, o.jitter, filepath.Join(dir, "data"))
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lat := &latencies{}
	started := make(chan *service, 1)
	ro := runOptions{file: file, format: "json", shutdownTimeout: time.Minute, simProjects: 1, simTick: time.Second,
		tickEvery: 10 * time.Second, started: func(s *service) { started <- s }}
	done := make(chan error, 1)
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	t0 := time.Now()
	go func() { done <- runService(rctx, c, ro) }()
	var s *service
	select {
	case s = <-started:
	case err := <-done:
		return err
	}
	sub, err := s.nc.Subscribe("oms.events.>", lat.observe)
	if err != nil {
		cancel()
		<-done
		return err
	}
	fmt.Fprintf(c.stderr, "bench: %d projects, schedule %s, %s; running for %s\n", o.projects, o.schedule, o.mode, o.duration)
	select {
	case <-time.After(o.duration):
	case <-ctx.Done():
	}
	polls := s.metrics.pollCount()
	wall := time.Since(t0)
	cancel()
	if err := <-done; err != nil {
		return err
	}
	_ = sub.Unsubscribe()
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := tvDur(ru.Utime) + tvDur(ru.Stime) - tvDur(ru0.Utime) - tvDur(ru0.Stime)
	lat.report(c.stdout, o, wall, cpu, ru.Maxrss, polls)
	return nil
}

func tvDur(tv syscall.Timeval) time.Duration {
	return time.Duration(tv.Sec)*time.Second + time.Duration(tv.Usec)*time.Microsecond
}

// startBenchSimulator runs `omswatch sim` as a child process, so that its
// CPU and memory are not counted as the service's, and returns its URL.
func startBenchSimulator(ctx context.Context, o benchOptions) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "sim", "--listen", "127.0.0.1:0", "--projects", fmt.Sprint(o.projects),
		"--tick", o.tick.String(), "--log-level", "warn")
	cmd.Env = append(os.Environ(), asMainEnvName+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start the simulator: %w", err)
	}
	stop := func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return strings.TrimSpace(addr), stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("the simulator did not say where it listens")
}

// asMainEnvName is the environment variable the test binary checks to act
// as omswatch (see TestMain); the real binary ignores it.
const asMainEnvName = "OMSWATCH_TEST_AS_MAIN"

// latencies collects, per delivered event, the time from its
// observation (the event's time) to its arrival on the NATS target.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) observe(m *nats.Msg) {
	now := time.Now()
	var e struct {
		Time time.Time `json:"time"`
	}
	if json.Unmarshal(m.Data, &e) != nil || e.Time.IsZero() {
		return
	}
	l.mu.Lock()
	l.d = append(l.d, now.Sub(e.Time))
	l.mu.Unlock()
}

func (l *latencies) report(w io.Writer, o benchOptions, wall, cpu time.Duration, maxRSSKB int64, polls float64) {
	l.mu.Lock()
	d := slices.Clone(l.d)
	l.mu.Unlock()
	slices.Sort(d)
	pct := func(p float64) time.Duration {
		if len(d) == 0 {
			return 0
		}
		return d[min(len(d)-1, int(p*float64(len(d))))].Round(time.Millisecond)
	}
	sec := wall.Seconds()
	fmt.Fprintf(w, `projects        %d (%s, schedule %s, jitter %s)
wall            %s
cpu             %s (%.2f cores)
peak rss        %.0f MB
polls           %.0f (%.1f/s)
events          %d delivered (%.1f/s)
latency         p50 %s  p90 %s  p99 %s  max %s  (observed -> delivered on NATS)
`, o.projects, o.mode, o.schedule, o.jitter, wall.Round(time.Second), cpu.Round(time.Second), cpu.Seconds()/sec,
		float64(maxRSSKB)/1024, polls, polls/sec, len(d), float64(len(d))/sec, pct(.5), pct(.9), pct(.99), pct(1))
}
