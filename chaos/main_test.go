package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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
// nats-server from the module root.
func build(dir string) error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return fmt.Errorf("not in a module")
	}
	root := filepath.Dir(gomod)
	bins.omswatch = filepath.Join(dir, "omswatch")
	bins.natsServer = filepath.Join(dir, "nats-server")
	omsArgs := []string{"build", "-o", bins.omswatch}
	if os.Getenv("OMSWATCH_CHAOS_RACE") == "1" {
		omsArgs = append(omsArgs, "-race")
	}
	omsArgs = append(omsArgs, "./cmd/omswatch")
	builds := [][]string{omsArgs, {"build", "-o", bins.natsServer, "github.com/nats-io/nats-server/v2"}}
	errs := make([]error, len(builds))
	var wg sync.WaitGroup
	start := time.Now()
	for i, args := range builds {
		wg.Go(func() {
			cmd := exec.Command("go", args...)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
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
