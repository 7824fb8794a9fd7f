package main

import (
	"github.com/omswatch/omswatch/service"

	"os"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
)

// TestMain: with service.AsMainEnv set, the test binary runs omswatch's main
// instead of the tests, so tests start `omswatch run` as a real child
// process (its own signals, its own exit) without building a binary.
func TestMain(m *testing.M) {
	if os.Getenv(service.AsMainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// addrTimeout is how long a child may take to serve metrics.
const addrTimeout = 60 * time.Second

// startChild starts omswatch with args in dir: this test binary again,
// acting as main (see TestMain). It is killed at the end of the test if
// still running, and its output logged when the test failed.
func startChild(t *testing.T, name, dir string, args ...string) *proctest.Proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return proctest.Start(t, name, dir, exe, []string{service.AsMainEnv + "=1"}, args...)
}
