package poller

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/secret"
)

// simChildEnv makes the test binary a simulator instead of running tests:
// the fleet benchmarks serve their projects from another process, so the
// CPU time and peak RSS they report are the poller's (with its embedded
// NATS server), not the simulator's.
const simChildEnv = "OMSWATCH_BENCH_SIM_PROJECTS"

// simFaultsEnv gives the simulator child fault rules (omssim.ParseFaults):
// a latency stands for an OMS across a network.
const simFaultsEnv = "OMSWATCH_BENCH_SIM_FAULTS"

func TestMain(m *testing.M) {
	if n := os.Getenv(simChildEnv); n != "" {
		os.Exit(serveSimChild(n))
	}
	os.Exit(m.Run())
}

// serveSimChild serves n generated projects of typical size (1 to 200
// tables) on a free loopback port, prints the URL, and stops when stdin
// closes.
func serveSimChild(n string) int {
	projects, err := strconv.Atoi(n)
	if err != nil {
		return 2
	}
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 42, Projects: projects})
	if err != nil {
		return 2
	}
	faults, err := omssim.ParseFaults(os.Getenv(simFaultsEnv))
	if err != nil {
		return 2
	}
	srv, err := omssim.New(omssim.Options{Scenario: g, ManualClock: true, Seed: 42, NonceCapacity: 1 << 20, Faults: faults,
		AccessKeys: []omssim.AccessKey{{ID: omssim.DemoAccessKeyID, Secret: omssim.DemoAccessKeySecret}}})
	if err != nil {
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 2
	}
	go func() { _ = http.Serve(ln, srv.Handler()) }()
	fmt.Printf("http://%s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// startSimChild starts the simulator process and returns its URL.
func startSimChild(b *testing.B, projects int, faults string) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", simChildEnv, projects), simFaultsEnv+"="+faults)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("simulator child: %v", err)
	}
	return strings.TrimSpace(line)
}

// usage is the process's CPU time so far and its peak RSS.
func usage() (cpu time.Duration, maxRSSMB float64) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpu, float64(ru.Maxrss) / 1024
}

// BenchmarkFleet polls the simulator's generated fleet of 1,000 and 10,000
// typical projects in both modes: the first cycle (discovery, every
// project described and stored) and then steady cycles, the simulator one
// tick further each time. It reports projects per second (wall), CPU
// seconds per 1,000 projects (poller + embedded NATS; the simulator runs
// in another process), peak RSS, and API calls per cycle. Run one size at
// a time to see RSS per size:
//
//	go test ./poller -run '^$' -bench 'Fleet/1000/' -benchtime 3x
//
// "remote" answers every request 100 ms late, as an OMS across a network
// would: a fleet read waits on its pages.
func BenchmarkFleet(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, mode := range []Mode{TwoTier, DescribeAlways} {
			b.Run(fmt.Sprintf("%d/%s", n, mode), func(b *testing.B) { benchFleet(b, n, mode, "") })
		}
	}
	b.Run("1000/two_tier/remote", func(b *testing.B) { benchFleet(b, 1000, TwoTier, "latency=100ms@1") })
}

func benchFleet(b *testing.B, n int, mode Mode, faults string) {
	url := startSimChild(b, n, faults)
	_, js := proctest.StartEmbeddedNATS(b, b.TempDir())
	store, err := NewKVStore(b.Context(), js, KVOptions{Bucket: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := omsapi.NewCloud(omsapi.CloudOptions{Region: "cn-hangzhou", Endpoint: url, AccessKeyID: omssim.DemoAccessKeyID,
		AccessKeySecret: secret.New(omssim.DemoAccessKeySecret), MaxConns: 16})
	if err != nil {
		b.Fatal(err)
	}
	api, err := omsapi.New(omsapi.Options{ReuseCacheBytes: benchReuse(), Transport: tr, Source: testSource, QPS: 1e6, MaxInFlight: 8, Timeout: 30 * time.Second,
		Retry: omsapi.RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}})
	if err != nil {
		b.Fatal(err)
	}
	p, err := New(Options{Source: testSource, Fetcher: api, Lister: api, Store: store, Handler: HandlerFunc(func(context.Context, Change) error { return nil }),
		List: &oms.ListQuery{PageSize: oms.MaxPageSize}, Mode: mode, Workers: 16})
	if err != nil {
		b.Fatal(err)
	}
	cycle := func(t *tally) {
		for g := range p.groups {
			p.cycle(b.Context(), g, false, t)
		}
	}
	cpu0, _ := usage()
	start := time.Now()
	first := &tally{}
	if err := p.discover(b.Context(), first); err != nil {
		b.Fatal(err)
	}
	cycle(first)
	cpu1, rss := usage()
	firstWall := time.Since(start)
	b.Logf("first cycle (discovery, %d projects described and stored): %.0f projects/s, %.2f CPU s per 1,000, peak RSS %.0f MB",
		first.s.Polled, float64(first.s.Polled)/firstWall.Seconds(), (cpu1-cpu0).Seconds()*1000/float64(max(first.s.Polled, 1)), rss)

	calls := func() int64 {
		s := api.Stats().Calls
		return s[omsapi.ActionDescribeProject] + s[omsapi.ActionListProjects]
	}
	var polled int
	var wall, cpu time.Duration
	c0 := calls()
	cycles := 0
	for b.Loop() {
		b.StopTimer()
		advance(b, url)
		b.StartTimer()
		t := &tally{}
		ca, _ := usage()
		s0 := time.Now()
		cycle(t)
		wall += time.Since(s0)
		cb, _ := usage()
		cpu += cb - ca
		polled += t.s.Polled
		cycles++
		if t.s.Failed > 0 {
			b.Fatalf("%d polls failed: %v", t.s.Failed, t.s.Failures)
		}
	}
	_, rss = usage()
	report(b, "", polled, wall, cpu, rss)
	b.ReportMetric(float64(calls()-c0)/float64(cycles), "api-calls/cycle")
}

func report(b *testing.B, prefix string, polled int, wall, cpu time.Duration, rssMB float64) {
	if polled == 0 {
		return
	}
	b.ReportMetric(float64(polled)/wall.Seconds(), prefix+"projects/s")
	b.ReportMetric(cpu.Seconds()*1000/float64(polled), prefix+"cpu-s/1000proj")
	b.ReportMetric(rssMB, prefix+"peak-rss-MB")
	// One core's worth of throughput: what the >= 10,000 projects/minute
	// target is about (wall time here includes the simulator's own work).
	b.ReportMetric(float64(polled)/cpu.Seconds()*60, prefix+"projects/min/core")
}

// advance moves the simulator one tick on, through its control endpoint.
func advance(b *testing.B, url string) {
	req, _ := http.NewRequestWithContext(b.Context(), http.MethodPost, url+"/_sim/advance?ticks=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
}

func benchReuse() int64 { n, _ := strconv.ParseInt(os.Getenv("BENCH_REUSE"), 10, 64); return n }
