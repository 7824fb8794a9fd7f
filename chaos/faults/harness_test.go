package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
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

// binary is the omswatch executable TestMain builds once.
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
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		fmt.Fprintf(os.Stderr, "go env GOMOD: %v %q\n", err, gomod)
		return 1
	}
	omswatchBin = filepath.Join(dir, "omswatch")
	build := exec.Command("go", "build", "-o", omswatchBin, "./cmd/omswatch")
	moduleRoot = filepath.Dir(strings.TrimSpace(string(gomod)))
	build.Dir = moduleRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/omswatch: %v\n", err)
		return 1
	}
	return m.Run()
}

// child is an omswatch process.
type child struct {
	t              *testing.T
	name           string
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	done           chan struct{}
	exit           int
	peakRSS        int64 // VmHWM in bytes, last read while it ran
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

// startChild starts the omswatch binary with args in dir; env is added to
// the test's environment. It is killed when the test ends, and its output
// logged when the test failed.
func startChild(t *testing.T, name, dir string, env []string, args ...string) *child {
	t.Helper()
	c := &child{t: t, name: name, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command(omswatchBin, args...)
	c.cmd.Dir = dir
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := c.cmd.Wait()
		c.exit = c.cmd.ProcessState.ExitCode()
		if err != nil && c.exit == 0 {
			c.exit = -1
		}
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.done
		if t.Failed() {
			t.Logf("%s stderr:\n%s", c.name, tail(c.stderr.String(), 6000))
		}
		if d := os.Getenv("OMSWATCH_CHAOS_KEEP"); d != "" {
			name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name() + "-" + c.name)
			_ = os.WriteFile(filepath.Join(d, name+".stderr"), []byte(c.stderr.String()), 0o644)
		}
	})
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
	code := c.wait(2 * time.Minute)
	return code, c.stdout.String(), c.stderr.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func (c *child) wait(timeout time.Duration) int {
	c.t.Helper()
	select {
	case <-c.done:
		return c.exit
	case <-time.After(timeout):
		c.t.Fatalf("%s did not exit within %s", c.name, timeout)
		return -1
	}
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// readPeakRSS reads the child's peak resident set (VmHWM) while it runs.
func (c *child) readPeakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
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

// logLines are the child's JSON log records (--log-format json).
func (c *child) logLines() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(c.stderr.String()))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// httpAddr waits for the child to say where it serves metrics.
func (c *child) httpAddr() string {
	c.t.Helper()
	var addr string
	eventually(c.t, 90*time.Second, c.name+" serves metrics", func() bool {
		if c.exited() {
			c.t.Fatalf("%s exited with %d:\n%s", c.name, c.exit, tail(c.stderr.String(), 4000))
		}
		for _, l := range c.logLines() {
			if l["msg"] == "serving metrics and health" {
				addr, _ = l["address"].(string)
			}
		}
		return addr != ""
	})
	return addr
}

// get fetches http://addr/path (status 0 when the request failed).
func get(addr, path string) (int, string) {
	cl := http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Get("http://" + addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue sums a metric's samples whose labels contain every one of
// labels, from /metrics text.
func metricValue(body, name string, labels ...string) (float64, bool) {
	var sum float64
	found := false
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(rest, l)
		}
		if !ok {
			continue
		}
		f := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			sum += v
			found = true
		}
	}
	return sum, found
}

// eventually polls cond every 100ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: not yet %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, text string, args ...any) {
	t.Helper()
	if len(args) > 0 {
		text = fmt.Sprintf(text, args...)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startNATS runs a JetStream server in the test process on a random
// loopback port, as the children's external NATS.
func startNATS(t *testing.T) (*server.Server, jetstream.JetStream) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoSigs: true, NoLog: true, MaxPayload: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return ns, js
}

// The access key the simulators accept and the children sign with.
const (
	accessKeyID     = "chaos-faults-ak"
	accessKeySecret = "chaos-faults-ak-secret"
	source          = "oms://cn-hangzhou" // the cloud poller's event source for region cn-hangzhou
)

// simRequest is one OMS API request the simulator answered.
type simRequest struct {
	action, project, fault string
	status                 int
	dropped                bool
	at                     time.Time
}

// faulted reports whether a fault changed the answer (latency alone
// does not: the answer is the real one, later).
func (r simRequest) faulted() bool { return r.fault != "" && r.fault != "latency" || r.dropped }

// simLog records the simulator's request log lines (a slog.Handler).
type simLog struct {
	mu   sync.Mutex
	reqs []simRequest
}

func (s *simLog) Enabled(context.Context, slog.Level) bool { return true }
func (s *simLog) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *simLog) WithGroup(string) slog.Handler            { return s }
func (s *simLog) Handle(_ context.Context, r slog.Record) error {
	q := simRequest{at: time.Now()}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "action":
			q.action = a.Value.String()
		case "project":
			q.project = a.Value.String()
		case "fault":
			q.fault = a.Value.String()
		case "status":
			q.status = int(a.Value.Int64())
		case "dropped":
			q.dropped = a.Value.Bool()
		}
		return true
	})
	if q.action == "" {
		return nil // the control endpoint
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, q)
	s.mu.Unlock()
	return nil
}

func (s *simLog) all() []simRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]simRequest(nil), s.reqs...)
}

func (s *simLog) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// startSim serves a scenario on a loopback port with the suite's access
// key; log (optional) receives the request lines.
func startSim(t *testing.T, o omssim.Options, log *simLog) (*omssim.Server, string) {
	t.Helper()
	o.AccessKeys = []omssim.AccessKey{{ID: accessKeyID, Secret: accessKeySecret}}
	if log != nil {
		o.Logger = slog.New(log)
	}
	srv, err := omssim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return srv, hs.URL
}

// runConfig writes a configuration for `omswatch run` against the
// simulator at simURL and NATS at natsURL; extra (YAML) is appended at the
// top level after the nats url.
func runConfig(t *testing.T, dir, simURL, natsURL, extra string) string {
	t.Helper()
	path := filepath.Join(dir, "omswatch.yaml")
	writeFile(t, path, `oms:
  mode: cloud
  region: cn-hangzhou
  endpoint: %s
  credentials: static
  access_key_id: %s
  access_key_secret: %s
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
	s, err := js.Stream(ctx, sinks.DefaultStream)
	if err != nil {
		t.Fatalf("stream %s: %v", sinks.DefaultStream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []audited
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue // deleted
		}
		var e event.Event
		if err := e.UnmarshalJSON(m.Data); err != nil {
			t.Fatalf("audit message %d: %v", seq, err)
		}
		a := audited{seq: seq, event: e}
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
			t.Errorf("%s: %q in the output (a panic or a stack trace):\n%s", what, bad, tail(output, 3000))
			return
		}
	}
}

func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("%s: signal %s: %v", c.name, sig, err)
	}
}
