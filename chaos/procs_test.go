package chaos

import (
	"context"
	"fmt"
	"net"
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

	"github.com/omswatch/omswatch/internal/proctest"
)

// omswatchProc is one `omswatch run` replica, started again after each
// kill with the same arguments; its output accumulates over every start.
type omswatchProc struct{ *proctest.Proc }

// addrTimeout is how long a replica may take to serve metrics.
const addrTimeout = 120 * time.Second

// newOmswatch prepares a replica running `omswatch run --config cfg`;
// start starts it. It is killed at the end of the test.
func newOmswatch(t *testing.T, name, dir, cfg string, extra ...string) *omswatchProc {
	args := append([]string{"run", "--config", cfg, "--log-format", "json", "--shutdown-timeout", "20s"}, extra...)
	return &omswatchProc{proctest.New(t, name, dir, bins.omswatch, nil, args...)}
}

// term sends SIGTERM and returns the exit status. A replica that exited
// already is no error here: its exit status tells.
func (p *omswatchProc) term(timeout time.Duration) int {
	_ = p.Process().Signal(syscall.SIGTERM)
	return p.Wait(timeout)
}

// delivering reports whether the replica's current start delivers the
// outbox (ha: it holds the dispatcher lease).
func (p *omswatchProc) delivering() bool {
	on := false
	for _, l := range p.LogLines() {
		switch l["msg"] {
		case "this replica delivers the outbox now":
			on = true
		case "this replica no longer delivers the outbox", "the dispatcher lease was lost; another replica delivers now":
			on = false
		}
	}
	return on
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
	log      proctest.Buffer
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
			t.Logf("%s log:\n%s", n.name, proctest.Tail(n.log.String(), 3000))
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
	proctest.DieWithParent(cmd)
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

// startCluster starts three clustered nats-server processes on loopback,
// named prefix1..prefix3, and returns them with their client URLs joined
// by commas (a client's server list).
func startCluster(t *testing.T, prefix string) ([]*natsProc, string) {
	t.Helper()
	var client, route [3]int
	for i := range 3 {
		client[i], route[i] = freePort(t), freePort(t)
	}
	var nodes []*natsProc
	var urls []string
	for i := range 3 {
		var others []int
		for j := range 3 {
			if j != i {
				others = append(others, route[j])
			}
		}
		n := newNATS(t, natsOptions{name: fmt.Sprintf("%s%d", prefix, i+1), port: client[i], clusterPort: route[i], routes: others})
		n.start()
		nodes = append(nodes, n)
		urls = append(urls, n.url())
	}
	return nodes, strings.Join(urls, ",")
}

// leasesHeld is how many project lease shards the replica serving metrics
// at addr holds.
func leasesHeld(addr string) float64 {
	_, body := proctest.Get(addr, "/metrics")
	v, _ := proctest.MetricValue(body, "omswatch_leases_held")
	return v
}

// connect opens a test connection (reconnecting forever) to urls.
func connect(t *testing.T, urls, user, pw string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	opts := []nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(200 * time.Millisecond), nats.Name("chaos-test")}
	if user != "" {
		opts = append(opts, nats.UserInfo(user, pw))
	}
	var nc *nats.Conn
	proctest.Eventually(t, 60*time.Second, "connected to "+urls, func() bool {
		var err error
		nc, err = nats.Connect(urls, opts...)
		return err == nil
	})
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	proctest.Eventually(t, 60*time.Second, "JetStream available at "+urls, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err == nil
	})
	return nc, js
}
