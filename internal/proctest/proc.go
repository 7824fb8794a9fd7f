package proctest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Buffer is a bytes.Buffer safe for one writer and concurrent readers: a
// child writes its output while the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Logger is a debug-level text logger writing into the buffer, for tests
// that read what a component logged.
func (l *Buffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Tail is the last n bytes of s, marked with "..." when cut, so a failure
// message shows the end of a long log (where the reason usually is).
func Tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// failureTail is how much of a child's stderr a failed test logs.
const failureTail = 8000

// Proc is a child process of a test. It can be started again after it
// exited or was killed (the crash scenarios restart a replica with the
// same arguments); its stdout and stderr accumulate over every start,
// while its log records, exit status and address are the current start's.
// Its methods may be called from several goroutines.
type Proc struct {
	Name string

	t         *testing.T
	dir, exe  string
	env, args []string

	stdout, stderr Buffer // every start

	mu     sync.Mutex
	cmd    *exec.Cmd
	cur    *Buffer // stderr of the current start
	done   chan struct{}
	exit   int
	starts int
}

// New prepares exe with args, to run in dir with env added to the test's
// environment; Start starts it. The process is killed when the test ends,
// and its stderr logged if the test failed, so a failure shows what the
// child said rather than only what the test saw.
func New(t *testing.T, name, dir, exe string, env []string, args ...string) *Proc {
	p := &Proc{Name: name, t: t, dir: dir, exe: exe, env: env, args: args}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			if n := p.Starts(); n > 1 {
				t.Logf("%s stderr (%d starts):\n%s", p.Name, n, Tail(p.stderr.String(), failureTail))
			} else {
				t.Logf("%s stderr:\n%s", p.Name, Tail(p.stderr.String(), failureTail))
			}
		}
	})
	return p
}

// Start is New and Start: the usual case of a child started once.
func Start(t *testing.T, name, dir, exe string, env []string, args ...string) *Proc {
	t.Helper()
	p := New(t, name, dir, exe, env, args...)
	p.Start()
	return p
}

// Start starts the process (again, when it ran before: call it only once
// the previous start exited).
func (p *Proc) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := &Buffer{}
	cmd := exec.Command(p.exe, p.args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout = &p.stdout
	cmd.Stderr = io.MultiWriter(&p.stderr, cur)
	DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.Name, err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code == 0 {
			code = -1
		}
		p.mu.Lock()
		p.exit = code
		p.mu.Unlock()
		close(done)
	}()
	p.cmd, p.cur, p.done = cmd, cur, done
	p.starts++
}

// current is the current start's command, stderr and done channel.
func (p *Proc) current() (*exec.Cmd, *Buffer, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd, p.cur, p.done
}

// Process is the current start's process (for its pid, or for a signal
// whose failure the caller means to ignore).
func (p *Proc) Process() *os.Process {
	cmd, _, _ := p.current()
	return cmd.Process
}

// Signal sends sig to the current start; failing to (it exited already)
// fails the test, since the test expected it to be running.
func (p *Proc) Signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.Process().Signal(sig); err != nil {
		p.t.Fatalf("%s: signal %s: %v", p.Name, sig, err)
	}
}

// Kill sends SIGKILL and waits for the process to be gone; it does
// nothing when the process was never started.
func (p *Proc) Kill() {
	cmd, _, done := p.current()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Wait waits for the current start to exit and returns its exit status;
// the test fails if it does not exit within timeout.
func (p *Proc) Wait(timeout time.Duration) int {
	p.t.Helper()
	_, _, done := p.current()
	select {
	case <-done:
		return p.ExitCode()
	case <-time.After(timeout):
		p.t.Fatalf("%s did not exit within %s", p.Name, timeout)
		return -1
	}
}

// Exited reports whether the current start has exited.
func (p *Proc) Exited() bool {
	_, _, done := p.current()
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// ExitCode is the exit status of the last start that exited (-1 when a
// signal ended it).
func (p *Proc) ExitCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exit
}

// Starts is how many times the process was started.
func (p *Proc) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// Stdout is what the process wrote on stdout, over every start.
func (p *Proc) Stdout() string { return p.stdout.String() }

// Stderr is what the process wrote on stderr, over every start.
func (p *Proc) Stderr() string { return p.stderr.String() }

// LogLines are the current start's JSON log records (--log-format json);
// lines that are not JSON are left out. A record may be megabytes long
// (the hostile-input scenarios log huge OMS fields), hence the buffer.
func (p *Proc) LogLines() []map[string]any {
	_, cur, _ := p.current()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(cur.String()))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// Logged reports whether a log record of the current start has a msg
// containing text.
func (p *Proc) Logged(text string) bool {
	for _, l := range p.LogLines() {
		if m, _ := l["msg"].(string); strings.Contains(m, text) {
			return true
		}
	}
	return false
}

// HTTPAddr waits up to timeout for the current start to log where it
// serves metrics and health ("serving metrics and health", the address
// it bound: configurations listen on port 0 so parallel tests do not
// collide). It fails the test at once, with the child's stderr, if the
// process exits first.
func (p *Proc) HTTPAddr(timeout time.Duration) string {
	p.t.Helper()
	var addr string
	Eventually(p.t, timeout, p.Name+" serves metrics", func() bool {
		if p.Exited() {
			_, cur, _ := p.current()
			p.t.Fatalf("%s exited with %d:\n%s", p.Name, p.ExitCode(), Tail(cur.String(), 4000))
		}
		for _, l := range p.LogLines() {
			if l["msg"] == "serving metrics and health" {
				addr, _ = l["address"].(string)
			}
		}
		return addr != ""
	})
	return addr
}
