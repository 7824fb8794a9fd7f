package service

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

// benchServiceEnv carries, to the load run's service child, the
// configuration file it runs: set, `omswatch bench` is that child (see
// BenchService), not a load run of its own.
const benchServiceEnv = "OMSWATCH_BENCH_SERVICE"

// IsBenchService reports whether this process is a load run's service
// child, started by Bench.
func IsBenchService() bool { return os.Getenv(benchServiceEnv) != "" }

// benchFigures are what the service child counts of itself.
type benchFigures struct {
	Polls, Describes, Pages, FromList int64
	CPU                               time.Duration
	MaxRSSBytes                       int64
	AtPeak                            MemoryAtPeak
}

// BenchService is the load run's service child: it runs the service on
// the configuration Bench wrote, says on its standard output where its
// embedded NATS server listens ("nats URL"), and answers Bench's commands
// on its standard input, one line each: "profile" (the CPU profile of the
// run ends, the heap profile is written), "settled" (the settled heap
// profile), "stop" (it drains and answers with its figures as JSON). The
// load run's own bookkeeping (every event's arrival, the simulator's
// changes) lives in the parent, so that this process's CPU and memory are
// the service's alone. Its input closing stops it too.
func BenchService(ctx context.Context, o BenchOptions) error {
	out := o.Service.Stdout
	if out == nil {
		out = os.Stdout
	}
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	if o.CPUProfile != "" {
		stop, err := startCPUProfile(o.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	mem := newPeakSampler()
	mctx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go mem.run(mctx, 200*time.Millisecond)

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	started := make(chan *Service, 1)
	so := o.Service
	so.ConfigFile, so.Started = os.Getenv(benchServiceEnv), func(s *Service) { started <- s }
	done := make(chan error, 1)
	go func() { done <- Run(rctx, so) }()
	var s *Service
	select {
	case s = <-started:
	case err := <-done:
		return err
	}
	fmt.Fprintf(out, "nats %s\n", s.nc.ConnectedUrl())
	cmds := make(chan string)
	go func() {
		defer close(cmds)
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			cmds <- strings.TrimSpace(sc.Text())
		}
	}()
	for {
		var c string
		var open bool
		select {
		case err := <-done:
			return fmt.Errorf("the service stopped before the load run was over: %w", err)
		case c, open = <-cmds:
		}
		switch {
		case open && c == "profile":
			pprof.StopCPUProfile() // the Duration's, not the settling's
			answer(out, o.HeapProfile, "")
		case open && c == "settled":
			answer(out, o.HeapProfile, ".settled")
		case !open || c == "stop":
			f := benchFigures{Polls: s.metrics.pollsDone.Load()}
			s.mu.Lock()
			if s.cur != nil {
				f.Describes, f.Pages, f.FromList = s.cur.apiCalls()
			}
			s.mu.Unlock()
			cancel()
			if err := <-done; err != nil {
				return err
			}
			var ru syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			f.CPU = tvDur(ru.Utime) + tvDur(ru.Stime) - tvDur(ru0.Utime) - tvDur(ru0.Stime)
			f.MaxRSSBytes = ru.Maxrss * 1024
			stopSampling()
			f.AtPeak = mem.result()
			b, err := json.Marshal(f)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "figures %s\n", b)
			return nil
		default:
			fmt.Fprintf(out, "error: unknown command %q\n", c)
		}
	}
}

// answer writes the heap profile, if one is asked for, to name+suffix and
// answers the parent: "ok", or the error.
func answer(out io.Writer, name, suffix string) {
	if name != "" {
		if err := writeHeapProfile(name + suffix); err != nil {
			fmt.Fprintf(out, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			return
		}
	}
	fmt.Fprintln(out, "ok")
}

// benchService is the parent's handle on the service child.
type benchService struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Scanner
	natsURL string
}

// startBenchService runs the executable's bench command as the service
// child on the configuration file, and waits until it says where its
// NATS server listens.
func startBenchService(ctx context.Context, o BenchOptions, file string) (*benchService, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := append([]string{"bench"}, o.ServiceArgs...)
	if o.CPUProfile != "" {
		args = append(args, "--cpu-profile", o.CPUProfile)
	}
	if o.HeapProfile != "" {
		args = append(args, "--heap-profile", o.HeapProfile)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), AsMainEnv+"=1", benchServiceEnv+"="+file)
	cmd.Stderr = os.Stderr // the service's log
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the service: %w", err)
	}
	b := &benchService{cmd: cmd, in: in, out: bufio.NewScanner(stdout)}
	b.out.Buffer(nil, 1<<20)
	line, err := b.read()
	if url, ok := strings.CutPrefix(line, "nats "); err == nil && ok {
		b.natsURL = url
		return b, nil
	}
	b.kill()
	return nil, cmp.Or(err, fmt.Errorf("the service did not say where its NATS server listens (it said %q)", line))
}

// read reads the child's next line; an error when it ended first.
func (b *benchService) read() (string, error) {
	if b.out.Scan() {
		return b.out.Text(), nil
	}
	return "", fmt.Errorf("the service ended (its log is above): %w", errors.Join(b.out.Err(), b.cmd.Wait()))
}

// ask sends a command and waits for its "ok".
func (b *benchService) ask(c string) error {
	if _, err := fmt.Fprintln(b.in, c); err != nil {
		return fmt.Errorf("the service: %w", err)
	}
	line, err := b.read()
	if err != nil {
		return err
	}
	if msg, ok := strings.CutPrefix(line, "error: "); ok {
		return errors.New(msg)
	}
	return nil
}

// stop drains the service and returns its figures.
func (b *benchService) stop() (benchFigures, error) {
	var f benchFigures
	if _, err := fmt.Fprintln(b.in, "stop"); err != nil {
		return f, fmt.Errorf("the service: %w", err)
	}
	line, err := b.read()
	if err != nil {
		return f, err
	}
	js, ok := strings.CutPrefix(line, "figures ")
	if !ok {
		return f, fmt.Errorf("the service answered %q, not its figures", line)
	}
	if err := json.Unmarshal([]byte(js), &f); err != nil {
		return f, fmt.Errorf("the service's figures: %w", err)
	}
	return f, b.cmd.Wait()
}

// kill ends a child that is still running (on an error of the run).
func (b *benchService) kill() {
	if b.cmd.ProcessState == nil {
		_ = b.in.Close()
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		_ = b.cmd.Wait()
	}
}
