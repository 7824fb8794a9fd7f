package proctest

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Get fetches http://addr/path within 5 seconds and returns the status
// and body; a request that failed is status 0 with the error as body, so
// a test polling a child that is still starting need not handle errors.
func Get(addr, path string) (int, string) {
	return GetWithin(5*time.Second, addr, path)
}

// GetWithin is Get with another timeout, for a child under heavy load.
func GetWithin(timeout time.Duration, addr, path string) (int, string) {
	cl := http.Client{Timeout: timeout}
	resp, err := cl.Get("http://" + addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// MetricValue is the sum of a metric's samples, in Prometheus text as
// /metrics serves it, whose labels contain every one of labels (none:
// every sample); found says whether any sample matched. A test reads the
// child's figures this way rather than with a Prometheus client so the
// text format itself is what is checked.
func MetricValue(body, name string, labels ...string) (sum float64, found bool) {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name) || strings.HasPrefix(line, "#") {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue // another metric whose name starts with this one
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(rest, l)
		}
		if !ok {
			continue
		}
		f := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			sum += v
			found = true
		}
	}
	return sum, found
}

// Eventually polls cond every 100ms until it holds, and fails the test
// with "not yet what" when timeout passes first: a child process does
// things in its own time, and a fixed sleep is either slow or flaky.
func Eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: not yet %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WriteFile writes a test file (text formatted with args when there are
// any), failing the test on error.
func WriteFile(t *testing.T, path, text string, args ...any) {
	t.Helper()
	if len(args) > 0 {
		text = fmt.Sprintf(text, args...)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// ReadFile reads a file, failing the test on error.
func ReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
