package poller

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/secret"
)

// testSource is the event source of the tests' projects.
const testSource = "oms://cn-hangzhou"

// newStore starts NATS in a temporary directory and opens the bucket.
func newStore(t *testing.T) *KVStore {
	t.Helper()
	_, js := proctest.StartEmbeddedNATS(t, t.TempDir())
	s, err := NewKVStore(t.Context(), js, KVOptions{Bucket: "test-snapshots"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// changes is a Handler that keeps what it is handed; failNext makes the
// next hand-offs fail.
type changes struct {
	mu       sync.Mutex
	all      []Change
	failNext int
}

func (c *changes) Handle(_ context.Context, ch Change) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failNext > 0 {
		c.failNext--
		return errTest
	}
	c.all = append(c.all, ch)
	return nil
}

func (c *changes) take() []Change {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.all
	c.all = nil
	return out
}

// events lists the poller's own events of the changes, by type.
func pollEvents(cs []Change) map[string]int {
	out := map[string]int{}
	for _, c := range cs {
		for _, e := range c.Events {
			out[e.Type]++
		}
	}
	return out
}

type testError string

func (e testError) Error() string { return string(e) }

const errTest = testError("hand-off refused")

// cloudAPI is an API on the simulator's cloud endpoint.
func cloudAPI(t testing.TB, sim *omssim.TestServer, o omsapi.Options, secretKey string) *omsapi.Client {
	t.Helper()
	tr, err := omsapi.NewCloud(omsapi.CloudOptions{Region: "cn-hangzhou", Endpoint: sim.URL, AccessKeyID: omssim.DemoAccessKeyID,
		AccessKeySecret: secret.New(secretKey), MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	o.Transport, o.Source = tr, testSource
	if o.QPS == 0 {
		o.QPS = 1000
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = 8
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Retry.MaxAttempts == 0 {
		o.Retry = omsapi.RetryPolicy{MaxAttempts: 1, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	}
	api, err := omsapi.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// newSim starts a simulator with a manual clock over n generated projects
// and returns it with the project ids, those whose state moves between
// tick 0 and tick movingTicks (and is not final then) first.
func newSim(t *testing.T, n int, seed int64) (*omssim.TestServer, []string) {
	t.Helper()
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: seed, Projects: n, MaxTables: 20})
	if err != nil {
		t.Fatal(err)
	}
	return omssim.StartTest(t, omssim.Options{Scenario: g, ManualClock: true, Seed: seed}), movingFirst(t, g)
}

// movingTicks is how far tests advance the simulator to see a change.
const movingTicks = 3

func movingFirst(t *testing.T, g *omssim.Generator) []string {
	t.Helper()
	var moving, still []string
	for _, id := range g.IDs() {
		a, _ := g.Describe(omssim.Moment{}, id, omssim.Full)
		b, _ := g.Describe(omssim.Moment{Tick: movingTicks}, id, omssim.Full)
		sa, err1 := oms.ParseSnapshot(a.Data)
		sb, err2 := oms.ParseSnapshot(b.Data)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if sa.StateDigest() != sb.StateDigest() && !terminal(textField(sb, "Status")) {
			moving = append(moving, id)
		} else {
			still = append(still, id)
		}
	}
	if len(moving) == 0 {
		t.Fatal("no generated project changes state in the first ticks")
	}
	return append(moving, still...)
}

// snapshotOf describes one project straight from the simulator.
func snapshotOf(t *testing.T, api *omsapi.Client, id string) *oms.Snapshot {
	t.Helper()
	s, err := api.Fetch(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
