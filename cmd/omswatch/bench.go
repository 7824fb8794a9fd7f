package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/omswatch/omswatch/service"
)

func newBenchCmd(c *cli) *cobra.Command {
	o := service.BenchOptions{}
	cmd := &cobra.Command{
		Use:   "bench [--projects 10000] [--duration 5m]",
		Short: "Load run: the simulator with many projects, run against it, and the figures",
		Long: `bench runs the built-in simulator with --projects projects moving every
--tick, and the service against it as run --config would (embedded NATS, a
NATS target), each as a child process, polling on --schedule for --duration;
then it stops the simulator's clock, lets the service catch up for --settle,
and prints the service's CPU and peak RSS (the simulator and bench not
counted), polls/s, events/s, the detection time of every change (p50, p90,
p99, max, never seen) and the latency from an observation to NATS.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Projects < 1 || o.Duration <= 0 {
				return service.Invalidf("--projects and --duration must be more than 0")
			}
			o.Service = service.Options{NewLogger: c.logFor(cmd), Redactor: c.red, Stdout: c.stdout, Stderr: c.stderr,
				Format: "json", ShutdownTimeout: time.Minute, SimProjects: 1, SimTick: time.Second, Version: versionString()}
			o.Progress, o.ServiceArgs = c.stderr, []string{"--log-level", c.logLevel, "--log-format", c.logFormat}
			if service.IsBenchService() {
				return service.BenchService(cmd.Context(), o)
			}
			rep, err := service.Bench(cmd.Context(), o)
			if err != nil {
				return err
			}
			printBench(c.stdout, rep)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Projects, "projects", 10000, "generated projects")
	f.DurationVar(&o.Duration, "duration", 5*time.Minute, "how long the service runs")
	f.StringVar(&o.Schedule, "schedule", "@every 60s", "the poll schedule")
	f.DurationVar(&o.Jitter, "jitter", 30*time.Second, "per-project jitter of the schedule")
	f.DurationVar(&o.Tick, "tick", 10*time.Second, "how often the simulator's projects move on")
	f.StringVar(&o.Mode, "mode", "two_tier", "discovery mode: two_tier or describe_always")
	f.Float64Var(&o.QPS, "qps", 10, "the account's requests a second (oms.qps; 10 is its default)")
	f.DurationVar(&o.Settle, "settle", 3*time.Minute, "how long the service may catch up with the last changes once the run is over")
	f.StringVar(&o.HeapProfile, "heap-profile", "", "write the service's heap profile (pprof) here when --duration is over, and here.settled once settled")
	f.StringVar(&o.CPUProfile, "cpu-profile", "", "write the service's CPU profile (pprof) of --duration here")
	f.StringVar(&o.Dir, "dir", "", "where the service keeps its data (default: a temporary directory, removed after)")
	return cmd
}

func printBench(w io.Writer, r service.BenchReport) {
	o := r.Options
	sec := r.Wall.Seconds()
	ms := func(p float64) time.Duration { return r.Percentile(p).Round(time.Millisecond) }
	det := func(p float64) time.Duration { return r.DetectionPercentile(p).Round(100 * time.Millisecond) }
	fmt.Fprintf(w, `projects        %d (%s, schedule %s, jitter %s)
wall            %s
cpu             %s (%.2f cores)
peak rss        %.0f MB
polls           %d (%.1f/s; %d describes, %d list pages, %d taken from the list)
events          %d delivered (%.1f/s)
detection       p50 %s  p90 %s  p99 %s  max %s  (changed in the simulator -> event on NATS; %d changes, %d never seen)
latency         p50 %s  p90 %s  p99 %s  max %s  (observed -> delivered on NATS)
`, o.Projects, o.Mode, o.Schedule, o.Jitter, r.Wall.Round(time.Second), r.CPU.Round(time.Second), r.CPU.Seconds()/sec,
		float64(r.MaxRSSBytes)/(1<<20), r.Polls, float64(r.Polls)/sec, r.Describes, r.Pages, r.FromList, len(r.Latencies), float64(len(r.Latencies))/sec,
		det(.5), det(.9), det(.99), det(1), r.Changes, r.Unseen, ms(.5), ms(.9), ms(.99), ms(1))
	fmt.Fprint(w, r.Details())
}
