package chaos

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

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

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// omswatchProc is one `omswatch run` replica, started again after each
// kill with the same arguments; its output accumulates over every start.
type omswatchProc struct {
	t        *testing.T
	name     string
	dir      string
	args     []string
	stdout   lockedBuffer // every start
	stderr   lockedBuffer // every start
	mu       sync.Mutex
	cmd      *exec.Cmd
	cur      *lockedBuffer // stderr of the current start
	done     chan struct{}
	exitCode int
	starts   int
}

// newOmswatch prepares a replica running `omswatch run --config cfg`;
// start starts it. It is killed at the end of the test.
func newOmswatch(t *testing.T, name, dir, cfg string, extra ...string) *omswatchProc {
	p := &omswatchProc{t: t, name: name, dir: dir,
		args: append([]string{"run", "--config", cfg, "--log-format", "json", "--shutdown-timeout", "20s"}, extra...)}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s stderr (%d starts):\n%s", p.name, p.starts, tail(p.stderr.String(), 8000))
		}
	})
	return p
}

func (p *omswatchProc) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := &lockedBuffer{}
	cmd := exec.Command(bins.omswatch, p.args...)
	cmd.Dir = p.dir
	cmd.Env = os.Environ()
	cmd.Stdout = &p.stdout
	cmd.Stderr = io.MultiWriter(&p.stderr, cur)
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		p.mu.Lock()
		p.exitCode = cmd.ProcessState.ExitCode()
		p.mu.Unlock()
		close(done)
	}()
	p.cmd, p.cur, p.done = cmd, cur, done
	p.starts++
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *omswatchProc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// term sends SIGTERM and returns the exit status.
func (p *omswatchProc) term(timeout time.Duration) int {
	p.t.Helper()
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(timeout):
		p.t.Fatalf("%s did not exit within %s of SIGTERM", p.name, timeout)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitCode
}

func (p *omswatchProc) exited() bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	select {
	case <-done:
		return true
	default:
		return false
	}
}

func (p *omswatchProc) exitStatus() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitCode
}

// logLines parses JSON log records.
func logLines(s string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// httpAddr waits for the current start to say where it serves metrics.
func (p *omswatchProc) httpAddr() string {
	p.t.Helper()
	var addr string
	eventually(p.t, 120*time.Second, p.name+" serves metrics", func() bool {
		p.mu.Lock()
		cur := p.cur
		p.mu.Unlock()
		if p.exited() {
			p.t.Fatalf("%s exited with %d:\n%s", p.name, p.exitCode, tail(cur.String(), 4000))
		}
		for _, l := range logLines(cur.String()) {
			if l["msg"] == "serving metrics and health" {
				addr, _ = l["address"].(string)
			}
		}
		return addr != ""
	})
	return addr
}

// delivering reports whether the replica's current start delivers the
// outbox (ha: it holds the dispatcher lease).
func (p *omswatchProc) delivering() bool {
	p.mu.Lock()
	cur := p.cur
	p.mu.Unlock()
	on := false
	for _, l := range logLines(cur.String()) {
		switch l["msg"] {
		case "this replica delivers the outbox now":
			on = true
		case "this replica no longer delivers the outbox", "the dispatcher lease was lost; another replica delivers now":
			on = false
		}
	}
	return on
}

// get fetches http://addr/path: status and body (0 when it failed).
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

// freePort returns a loopback port free right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// natsProc is a nats-server process; stop and start keep its port and
// store directory.
type natsProc struct {
	t        *testing.T
	name     string
	conf     string
	port     int
	log      lockedBuffer
	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	user, pw string
}

// natsOptions describe a server: its name, client and cluster ports, the
// other nodes' cluster ports, user and password (both empty: no auth).
type natsOptions struct {
	name              string
	port, clusterPort int
	routes            []int
	user, password    string
}

func newNATS(t *testing.T, o natsOptions) *natsProc {
	t.Helper()
	dir := t.TempDir()
	if o.port == 0 {
		o.port = freePort(t)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "server_name: %s\nlisten: 127.0.0.1:%d\nmax_payload: 8MB\n", o.name, o.port)
	fmt.Fprintf(&b, "jetstream {\n  store_dir: %q\n}\n", filepath.Join(dir, "js"))
	if o.user != "" {
		fmt.Fprintf(&b, "authorization {\n  user: %q\n  password: %q\n}\n", o.user, o.password)
	}
	if o.clusterPort != 0 {
		fmt.Fprintf(&b, "cluster {\n  name: chaos\n  listen: 127.0.0.1:%d\n  routes: [\n", o.clusterPort)
		for _, r := range o.routes {
			fmt.Fprintf(&b, "    nats-route://127.0.0.1:%d\n", r)
		}
		b.WriteString("  ]\n}\n")
	}
	conf := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	n := &natsProc{t: t, name: o.name, conf: conf, port: o.port, user: o.user, pw: o.password}
	t.Cleanup(func() {
		n.stop(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("%s log:\n%s", n.name, tail(n.log.String(), 3000))
		}
	})
	return n
}

func (n *natsProc) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

func (n *natsProc) start() {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	cmd := exec.Command(bins.natsServer, "-c", n.conf)
	cmd.Stdout, cmd.Stderr = &n.log, &n.log
	if err := cmd.Start(); err != nil {
		n.t.Fatalf("start %s: %v", n.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.cmd, n.done = cmd, done
}

// stop signals the server and waits for it to exit.
func (n *natsProc) stop(sig syscall.Signal) {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// connect opens a test connection (reconnecting forever) to urls.
func connect(t *testing.T, urls, user, pw string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	opts := []nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(200 * time.Millisecond), nats.Name("chaos-test")}
	if user != "" {
		opts = append(opts, nats.UserInfo(user, pw))
	}
	var nc *nats.Conn
	eventually(t, 60*time.Second, "connected to "+urls, func() bool {
		var err error
		nc, err = nats.Connect(urls, opts...)
		return err == nil
	})
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "JetStream available at "+urls, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err == nil
	})
	return nc, js
}
