package faults

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/sinks"
)

// longEnv switches the suite to the full figures.
const longEnv = "OMSWATCH_CHAOS_LONG"

// long reports whether the LONG mode was asked for.
func long() bool { return os.Getenv(longEnv) == "1" }

// pick returns fast in the default mode and slow with OMSWATCH_CHAOS_LONG=1.
func pick[T any](fast, slow T) T {
	if long() {
		return slow
	}
	return fast
}

// omswatchBin is the omswatch executable TestMain builds once.
var omswatchBin string

// moduleRoot is the repository's root directory.
var moduleRoot string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "omswatch-chaos-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if moduleRoot, err = proctest.ModuleRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	omswatchBin = filepath.Join(dir, "omswatch")
	if err := proctest.BuildOmswatch(moduleRoot, omswatchBin, false); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// child is an omswatch process and its peak memory.
type child struct {
	*proctest.Proc
	peakRSS int64 // VmHWM in bytes, last read while it ran
}

// addrTimeout is how long a child may take to serve metrics.
const addrTimeout = 90 * time.Second

// startChild starts the omswatch binary with args in dir; env is added to
// the test's environment. It is killed when the test ends, and its output
// logged when the test failed; with OMSWATCH_CHAOS_KEEP=dir its stderr is
// kept in that directory.
func startChild(t *testing.T, name, dir string, env []string, args ...string) *child {
	t.Helper()
	c := &child{}
	// Registered before the process's own cleanup, so it runs after the
	// process was killed and its stderr is complete.
	t.Cleanup(func() {
		if d := os.Getenv("OMSWATCH_CHAOS_KEEP"); d != "" && c.Proc != nil {
			name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name() + "-" + c.Name)
			_ = os.WriteFile(filepath.Join(d, name+".stderr"), []byte(c.Stderr()), 0o644)
		}
	})
	c.Proc = proctest.Start(t, name, dir, omswatchBin, env, args...)
	return c
}

// newCmd is the binary with args, in dir, with exactly env.
func newCmd(dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(omswatchBin, args...)
	cmd.Dir, cmd.Env = dir, env
	return cmd
}

// runOnce runs the binary to its end and returns exit status, stdout and
// stderr.
func runOnce(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	c := startChild(t, strings.Join(args, " "), dir, env, args...)
	code := c.Wait(2 * time.Minute)
	return code, c.Stdout(), c.Stderr()
}

// readPeakRSS reads the child's peak resident set (VmHWM) while it runs.
func (c *child) readPeakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.Process().Pid))
	if err != nil {
		return c.peakRSS
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil && kb*1024 > c.peakRSS {
					c.peakRSS = kb * 1024
				}
			}
		}
	}
	return c.peakRSS
}

// The access key the simulators accept and the children sign with.
const (
	accessKeyID     = "chaos-faults-ak"
	accessKeySecret = "chaos-faults-ak-secret"
	source          = "oms://cn-hangzhou" // the cloud poller's event source for region cn-hangzhou
)

// faultChanged reports whether a fault changed the simulator's answer
// (latency alone does not: the answer is the real one, later).
func faultChanged(r proctest.SimRequest) bool {
	return r.Fault != "" && r.Fault != "latency" || r.Dropped
}

// startSim serves a scenario on a loopback port with the suite's access
// key; log (optional) receives the request lines.
func startSim(t *testing.T, o omssim.Options, log *proctest.SimLog) (*omssim.Server, string) {
	t.Helper()
	o.AccessKeys = []omssim.AccessKey{{ID: accessKeyID, Secret: accessKeySecret}}
	if log != nil {
		o.Logger = slog.New(log)
	}
	srv, hs := proctest.StartSim(t, o)
	return srv, hs.URL
}

// runConfig writes a configuration for `omswatch run` against the
// simulator at simURL and NATS at natsURL; extra (YAML) is appended at the
// top level after the nats url. Answers up to 64 MiB are read (the default
// is 16 MiB) so that the hostile scenario's 50 MB answer is watched, not
// refused: what it measures is how omswatch handles one.
func runConfig(t *testing.T, dir, simURL, natsURL, extra string) string {
	t.Helper()
	path := filepath.Join(dir, "omswatch.yaml")
	proctest.WriteFile(t, path, `oms:
  mode: cloud
  region: cn-hangzhou
  endpoint: %s
  credentials: static
  access_key_id: %s
  access_key_secret: %s
  max_answer_size: 64MiB
store:
  dir: %s
http:
  listen: 127.0.0.1:0
nats:
  url: %s
%s`, simURL, accessKeyID, accessKeySecret, filepath.Join(dir, "data"), natsURL, extra)
	return path
}

// audited is one message of the audit stream.
type audited struct {
	seq     uint64
	event   event.Event
	targets []string // the targets the rules routed it to
}

// readAudit reads every event of the audit stream, in stream order.
func readAudit(t *testing.T, js jetstream.JetStream) []audited {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	msgs, err := proctest.StreamMsgs(ctx, js, sinks.DefaultStream)
	if err != nil {
		t.Fatalf("stream %s: %v", sinks.DefaultStream, err)
	}
	var out []audited
	for _, m := range msgs {
		var e event.Event
		if err := e.UnmarshalJSON(m.Data); err != nil {
			t.Fatalf("audit message %d: %v", m.Sequence, err)
		}
		a := audited{seq: m.Sequence, event: e}
		for _, v := range m.Header.Values(sinks.HeaderDeliver) {
			target, _, _ := strings.Cut(v, "|")
			a.targets = append(a.targets, target)
		}
		out = append(out, a)
	}
	return out
}

// hasStream reports whether the audit stream exists yet.
func hasStream(js jetstream.JetStream) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := js.Stream(ctx, sinks.DefaultStream)
	return err == nil
}

// noPanic fails the test when output shows a Go panic or a stack trace.
func noPanic(t *testing.T, what, output string) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "runtime error", "[signal SIG"} {
		if strings.Contains(output, bad) {
			t.Errorf("%s: %q in the output (a panic or a stack trace):\n%s", what, bad, proctest.Tail(output, 3000))
			return
		}
	}
}
