//go:build browser

package browser

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/oms/omssim"
)

// exe is the omswatch binary the tests run, built once.
var exe string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "omswatch-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := proctest.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	exe = filepath.Join(dir, "omswatch")
	if err := proctest.BuildOmswatch(root, exe, false); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// chromium finds the browser: Debian's chromium-headless-shell or
// chromium (.ci/run installs one), or $CHROMIUM.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium-headless-shell", "chromium", "headless_shell", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: apt-get install -y --no-install-recommends chromium-headless-shell (or set CHROMIUM)")
	return ""
}

// xssName is the name the simulator gives its first project: OMS text is
// untrusted, and the console must show it, not run it.
const xssName = `<script>window.__omswatchXSS=1</script><img src=x onerror="window.__omswatchXSS=2">orders`

// hostileNames renames the generated fleet's first project.
type hostileNames struct{ omssim.Scenario }

func (h hostileNames) Projects(m omssim.Moment) []omssim.ProjectInfo {
	ps := h.Scenario.Projects(m)
	if len(ps) > 0 {
		ps = append([]omssim.ProjectInfo(nil), ps...)
		ps[0].Name = xssName
	}
	return ps
}

func (h hostileNames) Describe(m omssim.Moment, id string, d omssim.Detail) (omssim.Described, bool) {
	r, ok := h.Scenario.Describe(m, id, d)
	ps := h.Scenario.Projects(m)
	if !ok || len(ps) == 0 || ps[0].ID != id || r.Data == nil {
		return r, ok
	}
	var doc map[string]any
	if json.Unmarshal(r.Data, &doc) != nil {
		return r, ok
	}
	doc["Name"] = xssName
	if b, err := json.Marshal(doc); err == nil {
		r.Data = b
	}
	return r, ok
}
