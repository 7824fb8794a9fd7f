package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/omswatch/omswatch/rules"
)

// startNATS runs an embedded JetStream server on a random loopback port.
func startNATS(t *testing.T) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL()
}

func TestSilenceAddListExpire(t *testing.T) {
	url := startNATS(t)
	cfgFile := filepath.Join(t.TempDir(), "omswatch.yaml")
	if err := os.WriteFile(cfgFile, []byte("oms: {mode: sim}\nrules: {silence_bucket: team-silences}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conn := []string{"--config", cfgFile, "--nats-url", url}
	cli := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, append(args, conn...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	id := strings.TrimSpace(cli("silence", "add", "project=np_7hq2kd81", "type=oms.condition.*", "--duration", "2h",
		"--comment", "planned switchover", "--author", "dba"))
	if len(id) != 16 {
		t.Fatalf("id %q", id)
	}
	later := strings.TrimSpace(cli("silence", "add", "name=~^staging-", "--starts-at", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
	out := cli("silence", "list")
	for _, want := range []string{"ID", id + "  active", "project=np_7hq2kd81 type=oms.condition.*", "dba", `"planned switchover"`, later + "  pending", "name=~^staging-"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if got := cli("silence", "expire", id); got != id+" expired\n" {
		t.Fatalf("expire printed %q", got)
	}
	if out := cli("silence", "list"); strings.Contains(out, id) {
		t.Fatalf("an expired silence is listed without --all:\n%s", out)
	}
	var sil rules.Silence
	for _, line := range strings.Split(strings.TrimSpace(cli("silence", "list", "--all", "--format", "json")), "\n") {
		var s rules.Silence
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("json line %q: %v", line, err)
		}
		if s.ID == id {
			sil = s
		}
	}
	if sil.ID != id || sil.Active(time.Now()) || sil.Comment != "planned switchover" {
		t.Fatalf("expired silence read back as %+v", sil)
	}
}

func TestSilenceErrors(t *testing.T) {
	url := startNATS(t)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad matcher", []string{"silence", "add", "nope=1", "--nats-url", url}, exitUsage, `unknown attribute "nope"`},
		{"type typo", []string{"silence", "add", "type=oms.stpe.*", "--nats-url", url}, exitUsage, "matches no event type"},
		{"severity typo", []string{"silence", "add", "severity=critcal", "--nats-url", url}, exitUsage,
			`matcher "severity=critcal": "critcal" is not a severity; want info, warning or critical (did you mean "critical"?)`},
		{"negated severity typo", []string{"silence", "add", "severity!=critcal", "--nats-url", url}, exitUsage, `"critcal" is not a severity`},
		{"importance case", []string{"silence", "add", "importance=high", "--nats-url", url}, exitUsage, `(did you mean "HIGH"?)`},
		{"phase regex", []string{"silence", "add", "phase=~^increment", "--nats-url", url}, exitUsage, `"^increment" matches no phase; want precheck`},
		{"type typo, literal", []string{"silence", "add", "type=oms.step.status_chnged", "--nats-url", url}, exitUsage,
			`"oms.step.status_chnged" is not an event type (did you mean "oms.step.status_changed"?)`},
		{"ends before it starts", []string{"silence", "add", "project=x", "--duration", "-1h", "--nats-url", url}, exitUsage, "ends before it starts"},
		{"no matcher", []string{"silence", "add", "--nats-url", url}, exitUsage, "requires at least 1 arg"},
		{"unknown id", []string{"silence", "expire", "0123456789abcdef", "--nats-url", url}, exitUsage, "no such silence"},
		{"no server", []string{"silence", "list", "--nats-url", "nats://127.0.0.1:1", "--timeout", "2s"}, exitFailure, "connect to NATS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.want)
			}
		})
	}
}

// With the embedded server, silences are where history reads: no store
// is a failure that says so; a running omswatch on a random port is
// reached through its store's lock; a stopped one's store is opened here,
// and the silence added there is in force when it starts again.
func TestSilenceOnTheStore(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, fmt.Sprintf("oms: {mode: sim}\nstore: {dir: %s}\nnats: {embedded: {port: -1}}\nhttp: {listen: \"127.0.0.1:0\"}\n",
		filepath.Join(dir, "data")))
	if code, _, errOut := runCLI(t, "silence", "list", "--config", cfg); code != exitFailure || !strings.Contains(errOut, "no store at") {
		t.Fatalf("silence list before any run: exit %d, stderr %q", code, errOut)
	}
	c := startChild(t, "silence-run", dir, "run", "--config", cfg, "--log-format", "json")
	c.HTTPAddr(addrTimeout)
	code, out, errOut := runCLI(t, "silence", "add", "project=np_1", "--comment", "switchover", "--config", cfg)
	if code != exitOK {
		t.Fatalf("silence add while run holds the store: exit %d, stderr %q", code, errOut)
	}
	id := strings.TrimSpace(out)
	c.Signal(syscall.SIGTERM)
	if code := c.Wait(60 * time.Second); code != exitOK {
		t.Fatalf("run: exit %d after SIGTERM", code)
	}
	code, out, errOut = runCLI(t, "silence", "list", "--config", cfg)
	if code != exitOK || !strings.Contains(out, id) || !strings.Contains(out, "switchover") {
		t.Errorf("silence list on the stopped store: exit %d, want %s in\n%s%s", code, id, out, errOut)
	}
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "omswatch.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
