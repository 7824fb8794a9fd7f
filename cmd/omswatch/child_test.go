package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain: with asMainEnvName set, the test binary runs omswatch's main
// instead of the tests, so tests start `omswatch run` as a real child
// process (its own signals, its own exit) without building a binary.
func TestMain(m *testing.M) {
	if os.Getenv(asMainEnvName) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// child is an omswatch process started by a test.
type child struct {
	t              *testing.T
	name           string
	cmd            *exec.Cmd
	stdout, stderr *lockedBuffer
	done           chan struct{}
	exit           int
}

// lockedBuffer is a bytes.Buffer safe for a writer and readers.
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

// startChild starts omswatch with args in dir; it is killed at the end
// of the test if still running, and its output logged when the test
// failed.
func startChild(t *testing.T, name, dir string, args ...string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, name: name, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command(exe, args...)
	c.cmd.Dir = dir
	c.cmd.Env = append(os.Environ(), asMainEnvName+"=1")
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
	})
	return c
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("%s: signal %s: %v", c.name, sig, err)
	}
}

// wait waits for the process to exit and returns its exit status.
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

// logLines are the child's JSON log records (--log-format json).
func (c *child) logLines() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(c.stderr.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// logged reports whether a log record has msg containing text.
func (c *child) logged(text string) bool {
	for _, l := range c.logLines() {
		if m, _ := l["msg"].(string); strings.Contains(m, text) {
			return true
		}
	}
	return false
}

// httpAddr waits for the child to say where it serves metrics.
func (c *child) httpAddr() string {
	c.t.Helper()
	var addr string
	eventually(c.t, 60*time.Second, c.name+" serves metrics", func() bool {
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

// get fetches http://addr/path and returns status and body (0 when the
// request failed).
func get(addr, path string) (int, string) {
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get("http://" + addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue is the sum of a metric's samples whose labels contain
// every one of labels ("name" alone: every sample), from /metrics text.
func metricValue(body, name string, labels ...string) (float64, bool) {
	var sum float64
	found := false
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name) || strings.HasPrefix(line, "#") {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue // another metric whose name starts with this one
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
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
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

// writeFile writes a test file, failing the test on error.
func writeFile(t *testing.T, path, text string, args ...any) {
	t.Helper()
	if len(args) > 0 {
		text = fmt.Sprintf(text, args...)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
