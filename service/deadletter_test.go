package service

import (
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/omswatch/omswatch/config"
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/internal/proctest"
	"github.com/omswatch/omswatch/sinks"
)

// Which dead letters a resend takes: the ids given (dead-letter ids or
// event ids), else those not resent yet; of one event's dead letters for
// one target only the newest, so it is not delivered twice.
func TestPickDeadLetters(t *testing.T) {
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	dl := func(seq uint64, id, target string, resent int) sinks.DeadLetter {
		d := sinks.DeadLetter{Seq: seq, Target: target, Event: event.Event{ID: id}}
		for range resent {
			d.Resent = append(d.Resent, at)
		}
		return d
	}
	all := []sinks.DeadLetter{dl(1, "e1", "hook", 1), dl(2, "e2", "hook", 0), dl(3, "e1", "hook", 0), dl(4, "e1", "chat", 0)}
	cases := []struct {
		name    string
		ids     []string
		want    []uint64
		wantErr string
	}{
		{"none given: not resent yet, newest of each", nil, []uint64{2, 3, 4}, ""},
		{"by dead-letter id, even resent", []string{"1"}, []uint64{1}, ""},
		{"by event id: each target's newest", []string{"e1"}, []uint64{3, 4}, ""},
		{"unknown ids", []string{"9", "e9", "2"}, nil, "no dead letter 9, e9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pickDeadLetters(all, tc.ids)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var seqs []uint64
			for _, d := range sinks.Latest(got) {
				seqs = append(seqs, d.Seq)
			}
			if !slices.Equal(seqs, tc.want) {
				t.Errorf("picked %v, want %v", seqs, tc.want)
			}
		})
	}
}

// A dead letter of a target the configuration no longer has is not
// resent (nothing would deliver it), and the error says what to do; the
// others are.
func TestResendSkipsTargetsNoLongerConfigured(t *testing.T) {
	dir := t.TempDir()
	_, js := proctest.StartEmbeddedNATS(t, dir) // a running omswatch holds the store
	if _, err := sinks.NewOutbox(t.Context(), js, sinks.OutboxOptions{}); err != nil {
		t.Fatal(err)
	}
	for i, target := range []string{"hook", "gone"} {
		e := event.Event{ID: fmt.Sprintf("e%d", i), Source: "oms://x", Type: event.TypeProjectRemoved, Subject: "np_1",
			Time: time.Now().UTC(), Severity: event.Warning, Data: event.Data{Fields: map[string]any{"last_status": "RUNNING"}}}
		b, err := e.JSON()
		if err != nil {
			t.Fatal(err)
		}
		m := nats.NewMsg(sinks.DefaultDeadLetterPrefix + "." + target)
		m.Data = b
		m.Header.Set(sinks.HeaderTarget, target)
		m.Header.Set(sinks.HeaderReason, "401 Unauthorized")
		m.Header.Set(sinks.HeaderAttempts, "1")
		if _, err := js.PublishMsg(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load([]byte(fmt.Sprintf("oms: {mode: sim}\nstore: {dir: %s}\nwebhook: {targets: {hook: {url: http://127.0.0.1:9/}}}\n", dir)), "omswatch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	resent, err := ResendDeadLetters(t.Context(), cfg, "", nil, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), `dead letter 2 is for target "gone", which omswatch.yaml does not define`) {
		t.Errorf("error %v", err)
	}
	if len(resent) != 1 || resent[0].Target != "hook" {
		t.Errorf("resent %+v, want hook's dead letter", resent)
	}
}

// The commands that read the store find the omswatch that holds it where
// its lock file says, not whatever answers on the configured port: there,
// another omswatch keeps another store (a second instance, a demo, a
// test), and reading it said "no dead letters".
func TestReadersFindTheServerThatHoldsTheStore(t *testing.T) {
	dir := t.TempDir()
	_, js := proctest.StartEmbeddedNATS(t, dir) // the instance that holds dir
	if _, err := sinks.NewOutbox(t.Context(), js, sinks.OutboxOptions{}); err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg(sinks.DefaultDeadLetterPrefix + ".hook")
	e := event.Event{ID: "e1", Source: "oms://x", Type: event.TypeProjectRemoved, Subject: "np_1",
		Time: time.Now().UTC(), Severity: event.Warning, Data: event.Data{Fields: map[string]any{"last_status": "RUNNING"}}}
	b, err := e.JSON()
	if err != nil {
		t.Fatal(err)
	}
	m.Data = b
	m.Header.Set(sinks.HeaderTarget, "hook")
	m.Header.Set(sinks.HeaderReason, "401 Unauthorized")
	m.Header.Set(sinks.HeaderAttempts, "1")
	if _, err := js.PublishMsg(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	decoy, _ := proctest.StartEmbeddedNATS(t, t.TempDir()) // another store, on the configured port
	u, err := url.Parse(decoy.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	cfg, err := config.Load([]byte(fmt.Sprintf("oms: {mode: sim}\nstore: {dir: %s}\nnats: {embedded: {port: %s}}\nwebhook: {targets: {hook: {url: http://127.0.0.1:9/}}}\n",
		dir, port)), "omswatch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dls, err := DeadLetters(t.Context(), cfg, "", slog.New(slog.DiscardHandler))
	if err != nil || len(dls) != 1 || dls[0].Target != "hook" {
		t.Errorf("dead letters %+v (error %v), want the one of the store's own server", dls, err)
	}
}
