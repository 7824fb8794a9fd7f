package service

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/console"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/oms"
	"github.com/omswatch/omswatch/poller"
	"github.com/omswatch/omswatch/sinks"
)

// The console shows what the snapshot store holds (written after it
// started, as the poller writes), and what it records is in the audit
// trail where `omswatch history` reads it.
func TestConsoleReadsTheStoreAndWritesTheTrail(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	doc := "oms: {mode: sim}\nstore:\n  dir: unused\nhttp:\n  listen: 127.0.0.1:0\n"
	_, js, _ := startDelivery(ctx, t, doc)
	cfg, err := config.Load([]byte(doc), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{root: slog.New(slog.DiscardHandler), log: slog.New(slog.DiscardHandler), js: js, nc: js.Conn()}
	wc, err := s.openConsole(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer wc.close()
	mux := http.NewServeMux()
	wc.c.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	store, err := poller.NewKVStore(ctx, js, poller.KVOptions{Bucket: cfg.Store.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := oms.ParseSnapshot([]byte(`{"Id":"np_c1","Name":"console_<b>orders</b>","Type":"SYNC","Status":"RUNNING"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(ctx, "oms://r", "np_c1", poller.Record{Snapshot: snap, ObservedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for {
		body := get(t, srv.URL+"/")
		if strings.Contains(body, "console_&lt;b&gt;orders&lt;/b&gt;") {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the fleet page never showed the stored project:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}

	e := event.Event{ID: "console-test-1", Source: console.AuditSource, Type: console.AuditTypePrefix + "silence_created",
		Subject: "np_c1", Time: time.Now().UTC(), Severity: event.Info,
		Data: event.Data{Project: event.Project{ID: "np_c1"}, Fields: map[string]any{"user": "alice", "silence": "s1"}}}
	if err := (auditTrail{js: js, cfg: cfg, log: slog.New(slog.DiscardHandler)}).Record(ctx, e); err != nil {
		t.Fatal(err)
	}
	evs, err := sinks.History(ctx, js, sinks.HistoryQuery{Project: "np_c1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Event.Data.Text("user") != "alice" {
		t.Fatalf("history: %+v", evs)
	}
	if body := get(t, srv.URL+"/projects/np_c1"); !strings.Contains(body, "silence_created by alice") {
		t.Fatalf("the project's timeline does not show the recorded action:\n%s", body)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConsoleAccessByListenAddress(t *testing.T) {
	cases := []struct {
		name, http string
		served     bool
	}{
		{"loopback, no users", "listen: 127.0.0.1:0", true},
		{"all addresses, no users: off", "listen: 0.0.0.0:0", false},
		{"all addresses with a token", "listen: 0.0.0.0:0\n  console: {bearer_token: 0123456789abcdef01}", true},
		{"turned off", "listen: 127.0.0.1:0\n  console: {enabled: false}", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			doc := "oms: {mode: sim}\nstore:\n  dir: unused\nhttp:\n  " + tc.http + "\n"
			_, js, _ := startDelivery(ctx, t, doc)
			cfg, err := config.Load([]byte(doc), "test.yaml")
			if err != nil {
				t.Fatal(err)
			}
			s := &Service{root: slog.New(slog.DiscardHandler), log: slog.New(slog.DiscardHandler), js: js, nc: js.Conn()}
			var wc *webConsole
			if cfg.HTTP.Console.Enabled {
				if wc, err = s.openConsole(ctx, cfg); err != nil {
					t.Fatal(err)
				}
				defer wc.close()
			}
			if (wc != nil) != tc.served {
				t.Fatalf("console served: %v, want %v", wc != nil, tc.served)
			}
		})
	}
}

func TestDelayThresholdsOfTheDemoRules(t *testing.T) {
	cfg, _, err := runConfig("")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]console.Threshold{}
	for _, th := range delayThresholds(cfg) {
		got[th.Condition] = th
	}
	want := []console.Threshold{
		{Condition: "incr_delay_high", Importance: "HIGH", Delay: time.Minute},
		{Condition: "incr_delay_medium", Importance: "MEDIUM", Delay: 5 * time.Minute},
		{Condition: "incr_delay_low", Importance: "LOW", Delay: 15 * time.Minute},
	}
	if len(got) != len(want) {
		t.Fatalf("thresholds %+v", got)
	}
	for _, w := range want {
		if got[w.Condition] != w {
			t.Errorf("%s: %+v, want %+v", w.Condition, got[w.Condition], w)
		}
	}
}
