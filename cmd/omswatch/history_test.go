package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/omswatch/omswatch/service"

	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/sinks"
)

var updateHistory = flag.Bool("update-history", false, "rewrite testdata/history/*.golden")

// historyEvents are a small timeline of np_1, with one event of another
// project between them.
func historyEvents() []event.Event {
	src := "oms://cn-hangzhou"
	at := func(s int) time.Time { return time.Date(2026, 1, 1, 0, 0, s, 0, time.UTC) }
	mk := func(project, typ string, sev event.Severity, s int, fields map[string]any, changes ...event.Change) event.Event {
		return event.Event{ID: event.NewID(src, project, typ, "", time.Duration(s).String()), Source: src, Type: typ,
			Subject: project, Time: at(s), Severity: sev,
			Data: event.Data{Project: event.Project{ID: project, Name: "orders", Status: "RUNNING"}, Fields: fields, Changes: changes}}
	}
	return []event.Event{
		mk("np_1", event.TypeProjectDiscovered, event.Info, 1, map[string]any{"status": "RUNNING"},
			event.Change{Op: "add", Path: "", Value: map[string]any{"Status": "RUNNING"}}),
		mk("np_2", event.TypeProjectDiscovered, event.Info, 2, map[string]any{"status": "INIT"}),
		mk("np_1", event.TypeStepProgressChanged, event.Info, 3, map[string]any{"step": "FULL_TRANSFER", "phase": "full", "from": 10, "to": 60},
			event.Change{Op: "replace", Path: "/Steps/FULL_TRANSFER/Progress", Value: 60}),
		mk("np_1", event.TypeStepStatusChanged, event.Critical, 4, map[string]any{"step": "FULL_TRANSFER", "phase": "full",
			"from": "RUNNING", "to": "FAILED", "progress": 60},
			event.Change{Op: "replace", Path: "/Steps/FULL_TRANSFER/Status", Value: "FAILED"}),
		mk("np_1", event.TypeStepErrorRaised, event.Critical, 5, map[string]any{"step": "FULL_TRANSFER", "code": "OMS-1001",
			"level": "ERROR", "message": "disk full <on sink>", "reason": "", "proposal": "free space"},
			event.Change{Op: "add", Path: "/ExtraInfo/ErrorDetails/0", Value: map[string]any{"Code": "OMS-1001"}},
			event.Change{Op: "remove", Path: "/ExtraInfo/ErrorCode"}),
	}
}

// historyStore publishes the timeline into a fresh store and returns a
// configuration using it.
func historyStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	store := filepath.Join(dir, "data")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	srv, err := natsembed.Start(ctx, natsembed.ServerOptions{Port: -1, StoreDir: store})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := natsembed.Connect(ctx, natsembed.ConnOptions{URL: srv.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	ob, err := sinks.NewOutbox(ctx, js, sinks.OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range historyEvents() {
		if err := ob.Publish(ctx, []sinks.Entry{{Event: e}}); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "omswatch.yaml")
	if err := os.WriteFile(cfg, []byte("oms:\n  mode: sim\nnats:\n  embedded:\n    port: -1\nstore:\n  dir: "+store+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestHistoryGolden(t *testing.T) {
	cfg := historyStore(t)
	cases := []struct {
		golden string
		args   []string
	}{
		{"text", nil},
		{"patch", []string{"--patch"}},
		{"json", []string{"--format", "json"}},
		{"type", []string{"--type", "oms.step.*"}},
		{"since", []string{"--since", "2026-01-01T00:00:04Z"}},
		{"other-project", []string{"--type", "oms.project.*"}},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			project := "np_1"
			if tc.golden == "other-project" {
				project = "np_2"
			}
			args := append([]string{"history", project, "--config", cfg}, tc.args...)
			code, out, errOut := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden := filepath.Join("..", "..", "testdata", "history", tc.golden+".golden")
			if *updateHistory {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-history)", err)
			}
			if out != string(want) {
				t.Errorf("history differs from %s\n--- got\n%s--- want\n%s", golden, out, want)
			}
		})
	}
}

func TestHistoryUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"history", "np_1", "--config", "x.yaml", "--format", "xml"},
		{"history", "np_1", "--config", "x.yaml", "--since", "yesterday"},
		{"history", "np_1", "--config", "x.yaml", "--type", "oms.[step"},
		{"history"},
	} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	now := time.Date(2026, 1, 8, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{"7d": now.Add(-7 * 24 * time.Hour), "90m": now.Add(-90 * time.Minute),
		"2026-01-01T00:00:00Z": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if got, err := service.ParseSince(in, now); err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %s, %v", in, got, err)
		}
	}
}

// history of a project the trail never saw says so (exit 1); of a store
// that does not exist too, and it creates nothing there.
func TestHistoryOfWhatWasNeverRecorded(t *testing.T) {
	cfg := historyStore(t)
	code, out, errOut := runCLI(t, "history", "np_nope", "--config", cfg)
	if code != exitFailure || out != "" || !strings.Contains(errOut, "project np_nope is not in the audit trail") {
		t.Errorf("unknown project: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	dir := t.TempDir()
	store := filepath.Join(dir, "no-such-store")
	empty := filepath.Join(dir, "omswatch.yaml")
	if err := os.WriteFile(empty, []byte("oms: {mode: sim}\nnats: {embedded: {port: -1}}\nstore: {dir: "+store+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCLI(t, "history", "np_1", "--config", empty)
	if code != exitFailure || !strings.Contains(errOut, "no store at") {
		t.Errorf("no store: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(store); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("history created the store it was asked to read: %v", err)
	}
}

// While a process holds the store (its embedded server on a random port),
// history reads it through that server, named in the store's lock file,
// instead of starting a second server on the same files; once refuses and
// says which process holds it.
func TestHistoryAndOnceOnAStoreInUse(t *testing.T) {
	cfg := historyStore(t)
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := strings.TrimSpace(string(text[strings.LastIndex(string(text), "dir: ")+5:]))
	srv, err := natsembed.Start(t.Context(), natsembed.ServerOptions{Port: -1, StoreDir: store})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Shutdown(context.Background()) }()
	code, out, errOut := runCLI(t, "history", "np_1", "--config", cfg)
	if code != exitOK || strings.Count(out, "\n") != 4 {
		t.Errorf("history of a store in use: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	code, _, errOut = runCLI(t, "once", "--config", cfg)
	if code != exitFailure || !strings.Contains(errOut, fmt.Sprintf("is in use by process %d", os.Getpid())) ||
		!strings.Contains(errOut, srv.ClientURL()) {
		t.Errorf("once on a store in use: exit %d, stderr %q", code, errOut)
	}
}
