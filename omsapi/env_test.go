package omsapi

import (
	"testing"
	"time"

	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/secret"
)

// testSource is the source of the tests' projects.
const testSource = "oms://cn-hangzhou"

// cloudClient is a Client on the simulator's cloud endpoint; o's zero
// fields get test defaults (no retries).
func cloudClient(t testing.TB, sim *omssim.TestServer, o Options, secretKey string) *Client {
	t.Helper()
	tr, err := NewCloud(CloudOptions{Region: "cn-hangzhou", Endpoint: sim.URL, AccessKeyID: omssim.DemoAccessKeyID,
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
		o.Retry = RetryPolicy{MaxAttempts: 1, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newSim starts a simulator with a manual clock over n generated projects
// and returns it with the project ids.
func newSim(t *testing.T, n int, seed int64) (*omssim.TestServer, []string) {
	t.Helper()
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: seed, Projects: n, MaxTables: 20})
	if err != nil {
		t.Fatal(err)
	}
	return omssim.StartTest(t, omssim.Options{Scenario: g, ManualClock: true, Seed: seed}), g.IDs()
}
