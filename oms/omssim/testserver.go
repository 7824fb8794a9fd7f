package omssim

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// Demo credentials: the defaults of `omswatch sim` and of StartTest. They
// guard nothing; they exist so clients have something real to sign with.
const (
	DemoAccessKeyID     = "omswatch-demo-ak"
	DemoAccessKeySecret = "omswatch-demo-secret"
	DemoUser            = "admin"
	DemoPassword        = "omswatch-demo"
)

// TestServer is a Server listening on a loopback port.
type TestServer struct {
	*Server
	// URL is the base URL, http://127.0.0.1:PORT.
	URL string
	// Endpoint is host:port, what Alibaba's SDK takes as Config.Endpoint.
	Endpoint string
}

// StartTest starts a Server on 127.0.0.1 on a free port and stops it when
// the test ends. Left unset, the scenario is a 20-project Generator with
// seed 1 and the credentials are the Demo ones.
func StartTest(tb testing.TB, opts Options) *TestServer {
	tb.Helper()
	if opts.Scenario == nil {
		g, err := NewGenerator(GeneratorOptions{Seed: 1})
		if err != nil {
			tb.Fatalf("omssim: %v", err)
		}
		opts.Scenario = g
	}
	if len(opts.AccessKeys) == 0 {
		opts.AccessKeys = []AccessKey{{ID: DemoAccessKeyID, Secret: DemoAccessKeySecret}}
	}
	if len(opts.BasicAuth) == 0 {
		opts.BasicAuth = []BasicCredential{{User: DemoUser, Password: DemoPassword}}
	}
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("omssim: %v", err)
	}
	hs := httptest.NewServer(s.Handler()) // binds 127.0.0.1:0
	tb.Cleanup(func() {
		s.Close() // release held requests first, or hs.Close waits for them
		hs.Close()
	})
	return &TestServer{Server: s, URL: hs.URL, Endpoint: strings.TrimPrefix(hs.URL, "http://")}
}
