package proctest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModuleRoot is the directory of the module's go.mod, from `go env
// GOMOD`: a test runs in its own package's directory, and the suites
// build binaries and read test data relative to the root.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not in a module")
	}
	return filepath.Dir(gomod), nil
}

// GoBuild runs `go build -o out args...` in the module root root; the
// error carries the compiler's output.
func GoBuild(root, out string, args ...string) error {
	args = append([]string{"build", "-o", out}, args...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

// BuildOmswatch compiles ./cmd/omswatch to out (with the race detector
// when race): the chaos suites run the real binary, as it is deployed,
// rather than the test binary acting as main. They call it from TestMain,
// once per package, so it takes no *testing.T.
func BuildOmswatch(root, out string, race bool) error {
	var args []string
	if race {
		args = append(args, "-race")
	}
	return GoBuild(root, out, append(args, "./cmd/omswatch")...)
}
