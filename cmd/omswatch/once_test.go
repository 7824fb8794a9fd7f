package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms/omssim"
)

// onceConfig writes a configuration for `once` against a simulator's
// cloud endpoint (or the built-in simulator when endpoint is empty), with
// an embedded NATS on a free port and its store in dir.
func onceConfig(t *testing.T, dir, endpoint, akSecret string) string {
	t.Helper()
	var b strings.Builder
	if endpoint != "" {
		fmt.Fprintf(&b, "oms:\n  mode: cloud\n  region: cn-hangzhou\n  endpoint: %s\n  credentials: static\n"+
			"  access_key_id: %s\n  access_key_secret: %s\n  retries:\n    max_attempts: 1\n"+
			"discovery:\n  list:\n    enabled: true\n", endpoint, omssim.DemoAccessKeyID, akSecret)
	}
	if endpoint == "" {
		b.WriteString("oms:\n  mode: sim\n")
	}
	fmt.Fprintf(&b, "nats:\n  embedded:\n    port: -1\nstore:\n  dir: %s\n", filepath.Join(dir, "data"))
	path := filepath.Join(dir, "omswatch.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// parseEvents reads `once --format json` output.
func parseEvents(t *testing.T, out string) []event.Event {
	t.Helper()
	var evs []event.Event
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var e event.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if err := e.Validate(); err != nil {
			t.Errorf("event %s: %v", e.ID, err)
		}
		evs = append(evs, e)
	}
	return evs
}

func TestOnceOnTheBuiltInSimulator(t *testing.T) {
	dir := t.TempDir()
	cfg := onceConfig(t, dir, "", "")
	code, out, errOut := runCLI(t, "once", "--config", cfg, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	evs := parseEvents(t, out)
	discovered := 0
	for _, e := range evs {
		if e.Type == event.TypeProjectDiscovered {
			discovered++
		}
		if e.Source != "oms://omssim" {
			t.Errorf("source %q", e.Source)
		}
	}
	if discovered != 20 {
		t.Errorf("%d projects discovered, want the simulator's 20", discovered)
	}
	code, out, errOut = runCLI(t, "once", "--config", cfg, "--format", "text")
	if code != exitOK {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	if strings.Contains(out, event.TypeProjectDiscovered) {
		t.Errorf("the second run discovered projects again: snapshots were not kept:\n%s", out)
	}
}

func TestOnceFailsWithWrongCredentialsWithoutShowingThem(t *testing.T) {
	const wrong = "a-wrong-secret-4f9d2c"
	sim := omssim.StartTest(t, omssim.Options{ManualClock: true})
	code, out, errOut := runCLI(t, "once", "--config", onceConfig(t, t.TempDir(), sim.URL, wrong), "--log-level", "debug")
	if code != exitFailure {
		t.Fatalf("exit %d, want %d: %s", code, exitFailure, errOut)
	}
	if out != "" {
		t.Errorf("events printed for a failed poll: %s", out)
	}
	if !strings.Contains(errOut, "SignatureDoesNotMatch") {
		t.Errorf("stderr does not say why:\n%s", errOut)
	}
	if strings.Contains(errOut, wrong) || strings.Contains(out, wrong) {
		t.Errorf("the secret appears in the output:\n%s", errOut)
	}
}

func TestOnceRecordingReplaysToTheSameEvents(t *testing.T) {
	g, err := omssim.NewGenerator(omssim.GeneratorOptions{Seed: 4, Projects: 8, MaxTables: 30})
	if err != nil {
		t.Fatal(err)
	}
	live := omssim.StartTest(t, omssim.Options{Scenario: g, ManualClock: true})
	live.Advance(5)
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec.jsonl")
	code, out, errOut := runCLI(t, "once", "--config", onceConfig(t, filepath.Join(dir), live.URL, omssim.DemoAccessKeySecret), "--record", rec, "--format", "json")
	if code != exitOK {
		t.Fatalf("live: exit %d: %s", code, errOut)
	}
	want := parseEvents(t, out)
	f, err := os.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := omssim.ReadRecording(f)
	f.Close()
	if err != nil {
		t.Fatalf("the recording does not read back: %v", err)
	}
	if len(obs) != 8 {
		t.Errorf("%d observations recorded, want 8", len(obs))
	}
	replay, err := omssim.NewReplay(obs, omssim.ReplayOptions{Mode: omssim.ReplayStep})
	if err != nil {
		t.Fatal(err)
	}
	again := omssim.StartTest(t, omssim.Options{Scenario: replay, ManualClock: true})
	dir2 := t.TempDir()
	code, out, errOut = runCLI(t, "once", "--config", onceConfig(t, dir2, again.URL, omssim.DemoAccessKeySecret), "--format", "json")
	if code != exitOK {
		t.Fatalf("replay: exit %d: %s", code, errOut)
	}
	got := parseEvents(t, out)
	if a, b := eventKeys(want), eventKeys(got); !slices.Equal(a, b) {
		t.Errorf("the replay gave other events:\nlive   %v\nreplay %v", a, b)
	}
	if len(want) < 8 {
		t.Errorf("only %d events live", len(want))
	}
}

// eventKeys are the events' ids, types and subjects, sorted: what must be
// equal between a live run and its replay (times differ).
func eventKeys(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID + " " + e.Type + " " + e.Subject
	}
	slices.Sort(out)
	return out
}

// The configuration's log section sets the log format; --log-format,
// when given, wins.
func TestOnceLogSectionAndFlag(t *testing.T) {
	dir := t.TempDir()
	cfg := onceConfig(t, dir, "", "")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append(b, "log:\n  format: json\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args     []string
		wantJSON bool
	}{
		{nil, true},
		{[]string{"--log-format", "text"}, false},
	} {
		code, _, errOut := runCLI(t, append([]string{"once", "--config", cfg}, tc.args...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		first, _, _ := strings.Cut(strings.TrimSpace(errOut), "\n")
		if isJSON := json.Valid([]byte(first)); isJSON != tc.wantJSON {
			t.Errorf("args %v: first log line %q; want JSON %v", tc.args, first, tc.wantJSON)
		}
	}
}
