package chaos

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/omswatch/omswatch/internal/proctest"
)

// long is OMSWATCH_CHAOS_LONG=1: the full sizes.
var long = os.Getenv("OMSWATCH_CHAOS_LONG") == "1"

// bins are the binaries TestMain builds once per run.
var bins struct{ omswatch, natsServer string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "omswatch-chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	err = build(dir)
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos: building the binaries:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles omswatch (with -race under OMSWATCH_CHAOS_RACE=1) and
// nats-server from the module root, in parallel.
func build(dir string) error {
	root, err := proctest.ModuleRoot()
	if err != nil {
		return err
	}
	bins.omswatch = filepath.Join(dir, "omswatch")
	bins.natsServer = filepath.Join(dir, "nats-server")
	builds := []func() error{
		func() error {
			return proctest.BuildOmswatch(root, bins.omswatch, os.Getenv("OMSWATCH_CHAOS_RACE") == "1")
		},
		func() error { return proctest.GoBuild(root, bins.natsServer, "github.com/nats-io/nats-server/v2") },
	}
	errs := make([]error, len(builds))
	var wg sync.WaitGroup
	start := time.Now()
	for i, b := range builds {
		wg.Go(func() { errs[i] = b() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "chaos: built omswatch and nats-server in %s (long=%v)\n", time.Since(start).Round(time.Millisecond), long)
	return nil
}

// size picks the FAST or the LONG value.
func size[T any](fast, lng T) T {
	if long {
		return lng
	}
	return fast
}
