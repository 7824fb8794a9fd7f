// Package omswatch_test holds the checks that span the module: the layout
// of its packages (who may import whom).
package omswatch_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// allowedImports is STYLE.md's "who may import whom": for each package of
// the module, the prefixes of the non-standard imports it may have. Data
// flows one way (poller -> differ -> rules -> sinks) and only the
// application package, service, wires them; cmd/omswatch parses flags and
// prints. A stage importing another stage is a design error caught here.
var allowedImports = map[string][]string{
	"event":  {"internal/suggest", "internal/jsonw"},
	"secret": {},
	// setting is the components' shared configuration vocabulary: a leaf.
	"setting": {},
	// internal/suggest is the one "did you mean", internal/ctxsleep the one
	// wait that ends with its context: leaves.
	"internal/suggest":  {},
	"internal/ctxsleep": {},
	// internal/jsonw is the one JSON string writer of the encoders that must
	// write what encoding/json writes (canonical snapshots, events,
	// observation records): a leaf.
	"internal/jsonw": {},
	"oms":            {"internal/jsonw"},
	"oms/omssim":     {"oms"},
	"differ":         {"oms", "event", "secret", "github.com/wI2L/jsondiff"},
	"rules":          {"oms", "event", "internal/suggest", "github.com/expr-lang/expr"},
	// rules/kvstate is where the rules' state and silences meet JetStream,
	// so that rules itself stays pure.
	"rules/kvstate": {"rules", "internal/jsensure", "github.com/nats-io/"},
	// poller is the polling engine: it uses an OMS client and leases
	// through interfaces of its own, and imports neither omsapi nor lease;
	// x/time/rate spaces its describe budget; klauspost/compress's DEFLATE
	// compresses the stored snapshots.
	"poller": {"oms", "event", "secret", "github.com/robfig/cron/v3", "github.com/nats-io/", "internal/jsensure", "internal/ctxsleep", "golang.org/x/time/rate",
		"github.com/klauspost/compress/flate"},
	// omsapi is the OMS client (signing, transport, limits, retries); it
	// knows nothing of polling.
	"omsapi": {"oms", "secret", "setting", "internal/suggest", "internal/ctxsleep", "github.com/alibabacloud-go/", "github.com/aliyun/credentials-go", "golang.org/x/time/rate"},
	// lease knows JetStream and nothing of what its keys stand for
	// (projects, the dispatcher).
	"lease": {"internal/jsensure", "internal/ctxsleep", "github.com/nats-io/"},
	// incident turns a project's events into incidents (pure Track) and
	// keeps them in JetStream KV; it knows no stage, only what they made.
	"incident":  {"oms", "event", "internal/jsensure", "github.com/nats-io/"},
	"sinks":     {"event", "secret", "internal/suggest", "internal/jsensure", "github.com/nats-io/"},
	"natsembed": {"secret", "setting", "github.com/nats-io/"},
	// config composes the components' own configuration types.
	"config": {"oms", "event", "secret", "setting", "internal/suggest", "poller", "differ", "rules", "sinks",
		"sinks/natssink", "sinks/slack", "sinks/webhook", "sinks/alertmanager", "sinks/pagerduty", "natsembed", "omsapi", "go.yaml.in/yaml/v3", "github.com/robfig/cron/v3"},
	// console is the web console: pages over the fleet index, the audit
	// trail and the silences, which it reads through interfaces of its own
	// (service implements them on NATS); bcrypt checks its basic users.
	"console": {"event", "oms", "rules", "golang.org/x/crypto/bcrypt"},
	// console/browser holds only the console's Chromium tests (build tag
	// browser); its package proper is its doc comment.
	"console/browser": {},
	// The chaos suites are tests only: they drive omswatch as a process.
	"chaos":        {},
	"chaos/faults": {},
	// internal/proctest is the tests' shared harness for omswatch as a
	// child process and the services it talks to; only tests import it.
	"internal/proctest": {"oms/omssim", "sinks/sinktest", "natsembed", "github.com/nats-io/", "github.com/gorilla/websocket"},
	// internal/jsensure is how every package that owns a JetStream stream
	// or bucket creates it (retrying the races of a cluster).
	"internal/jsensure": {"github.com/nats-io/"},
	// The module root holds only this test.
	"": {},
	// cmd/omswatch parses flags, prints and sets exit codes: it starts the
	// service and reads what its own commands show (configuration, rules,
	// silences, the simulator).
	"cmd/omswatch": {"service", "config", "event", "oms/omssim", "omsapi", "rules", "rules/kvstate", "secret", "sinks",
		"incident", "github.com/spf13/cobra"},
	// service is the application: it wires every component, so it may
	// import all of them, and nothing but cmd imports it.
	"service": {"config", "console", "differ", "event", "incident", "lease", "natsembed", "oms", "oms/omssim", "omsapi", "poller", "rules", "rules/kvstate", "setting",
		"secret", "sinks", "sinks/logsink", "sinks/natssink", "sinks/slack", "sinks/webhook",
		"sinks/alertmanager", "sinks/pagerduty", "github.com/nats-io/", "github.com/prometheus/client_golang/",
		"internal/jsonw", "github.com/klauspost/compress/flate"},
}

const module = "github.com/omswatch/omswatch"

func TestPackageImportsFollowTheLayout(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var pkg struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&pkg); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg.ImportPath, module), "/")
		for _, imp := range pkg.Imports {
			switch imp {
			case module + "/internal/proctest":
				t.Errorf("%s imports internal/proctest, which only tests may use", rel)
			case module + "/service":
				if rel != "cmd/omswatch" {
					t.Errorf("%s imports service: the application is wired once, and only cmd starts it", rel)
				}
			case module + "/cmd/omswatch":
				t.Errorf("%s imports cmd/omswatch: nothing imports a command", rel)
			}
		}
		allowed, ruled := allowedFor(rel)
		if !ruled {
			t.Errorf("package %s has no import rule: add it to allowedImports (STYLE.md)", rel)
			continue
		}
		for _, imp := range pkg.Imports {
			if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				continue // the standard library
			}
			if !importAllowed(imp, allowed) {
				t.Errorf("%s imports %s, which STYLE.md does not allow", rel, imp)
			}
		}
	}
}

// allowedFor finds the rule for a package; a sink kind (sinks/slack) may use
// the sinks contract, event and its own client library.
func allowedFor(rel string) ([]string, bool) {
	if a, ok := allowedImports[rel]; ok {
		return a, true
	}
	if strings.HasPrefix(rel, "sinks/") {
		return []string{"sinks", "event", "secret", "setting", "internal/jsensure", "github.com/nats-io/", "github.com/slack-go/slack"}, true
	}
	return nil, false
}

func importAllowed(imp string, allowed []string) bool {
	for _, a := range allowed {
		if strings.HasPrefix(a, "github.com/") || strings.HasPrefix(a, "go.yaml.in/") || strings.HasPrefix(a, "golang.org/") {
			if strings.HasPrefix(imp, a) {
				return true
			}
			continue
		}
		if imp == module+"/"+a {
			return true
		}
	}
	return false
}
