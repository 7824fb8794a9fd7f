package main

import (
	"bufio"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/service"
)

// Package initialisation runs before every command, version and --help
// included, so work done there is paid by commands that never need it.
// These bounds are on what inittrace counts (bytes and allocations, the
// same on any machine however loaded), not on time. They are far above
// today's figures, and the old eager work broke them: the config package
// compiled its patterns at init (127 KB, 1,673 allocations), rules/kvstate
// one pattern (60 KB, 860 allocations), and bytedance/sonic's package init
// (2.1 MB, ~7,000 allocations, and a garbage collection) brought the
// process to 3.2 MB before main.
const (
	// maxPackageInitBytes and maxPackageInitAllocs bound each of the
	// module's packages (in the test binary this package's own includes
	// its tests' globals: 27 KB, 270 allocations).
	maxPackageInitBytes  = 64 << 10
	maxPackageInitAllocs = 500
	// maxProcessInitAllocs bounds every package's init together,
	// dependencies included (6,100 today; 16,000 before): a dependency that
	// does heavy work in init costs every command, and cannot be made lazy
	// here. Allocations, not bytes: under -race some dependencies' inits
	// allocate a megabyte more, and not the same from run to run.
	maxProcessInitAllocs = 10000
)

// initCost is one line of GODEBUG=inittrace=1:
// "init <package> @1.2 ms, 0.3 ms clock, 4096 bytes, 12 allocs".
type initCost struct {
	pkg           string
	bytes, allocs int
}

func TestStartupInitsAreCheap(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), exe, "version")
	cmd.Env = append(os.Environ(), service.AsMainEnv+"=1", "GODEBUG=inittrace=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if out, err := cmd.Output(); err != nil || !strings.HasPrefix(string(out), "omswatch ") {
		t.Fatalf("omswatch version: %v, %q\n%s", err, out, stderr.String())
	}
	inits := parseInitTrace(t, stderr.String())
	if len(inits) == 0 {
		t.Fatalf("no inittrace lines in stderr:\n%s", stderr.String())
	}
	total := 0
	for _, c := range inits {
		total += c.allocs
		if !strings.HasPrefix(c.pkg, "github.com/omswatch/omswatch") {
			continue
		}
		if c.bytes > maxPackageInitBytes || c.allocs > maxPackageInitAllocs {
			t.Errorf("package %s allocates %d bytes in %d allocations at init (at most %d bytes, %d allocations): "+
				"build what it needs on first use (sync.OnceValue), not at package level", c.pkg, c.bytes, c.allocs,
				maxPackageInitBytes, maxPackageInitAllocs)
		}
	}
	if total > maxProcessInitAllocs {
		t.Errorf("package inits make %d allocations before main (at most %d); the largest:\n%s",
			total, maxProcessInitAllocs, largestInits(inits, 5))
	}
}

// parseInitTrace reads the inittrace lines of stderr.
func parseInitTrace(t *testing.T, stderr string) []initCost {
	t.Helper()
	var inits []initCost
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 11 || f[0] != "init" || f[8] != "bytes," || f[10] != "allocs" {
			continue
		}
		b, err1 := strconv.Atoi(f[7])
		a, err2 := strconv.Atoi(f[9])
		if err1 != nil || err2 != nil {
			t.Fatalf("inittrace line %q: %v, %v", sc.Text(), err1, err2)
		}
		inits = append(inits, initCost{pkg: f[1], bytes: b, allocs: a})
	}
	return inits
}

// largestInits lists the n inits that allocate most often, for a failure
// message.
func largestInits(inits []initCost, n int) string {
	sorted := slices.SortedFunc(slices.Values(inits), func(a, b initCost) int { return b.allocs - a.allocs })
	var b strings.Builder
	for _, c := range sorted[:min(n, len(sorted))] {
		b.WriteString("  " + c.pkg + ": " + strconv.Itoa(c.bytes) + " bytes, " + strconv.Itoa(c.allocs) + " allocs\n")
	}
	return b.String()
}
