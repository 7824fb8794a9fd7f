package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/omswatch/omswatch/event"
)

const natsPassword = "nats-e2e-very-secret"

// once against an external NATS with a password: the outbox and a NATS
// target work there, a subscriber gets the CloudEvents; a wrong password
// fails without showing either password.
func TestOnceWithExternalNATS(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		Username: "omswatch", Password: natsPassword, NoSigs: true, NoLog: true, MaxPayload: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	sub, err := nats.Connect(ns.ClientURL(), nats.UserInfo("omswatch", natsPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	msgs, err := sub.SubscribeSync("oms.events.>")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(password string) string {
		cfg := filepath.Join(dir, "omswatch.yaml")
		doc := fmt.Sprintf("oms:\n  mode: sim\nnats:\n  url: %s\n  user: omswatch\n  password: %s\n  targets:\n    events: {}\n"+
			"store:\n  dir: %s\nrules:\n  default_to: [events]\n", ns.ClientURL(), password, filepath.Join(dir, "data"))
		if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	const wrong = "wrong-nats-password-123"
	code, out, errOut := runCLI(t, "once", "--config", write(wrong), "--log-level", "debug")
	if code != exitFailure || strings.Contains(out+errOut, wrong) || strings.Contains(out+errOut, natsPassword) {
		t.Fatalf("wrong password: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "once", "--config", write(natsPassword), "--log-level", "debug")
	if code != exitOK || strings.Contains(errOut, natsPassword) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	discovered := 0
	for i := 0; ; i++ {
		m, err := msgs.NextMsg(time.Second)
		if err != nil {
			break
		}
		var e event.Event
		if err := e.UnmarshalJSON(m.Data); err != nil || m.Header.Get("Nats-Msg-Id") != e.ID ||
			m.Header.Get("Content-Type") != "application/cloudevents+json" {
			t.Fatalf("message %d on %s: %v %v", i, m.Subject, err, m.Header)
		}
		if e.Type == event.TypeProjectDiscovered {
			discovered++
		}
	}
	if discovered != 20 {
		t.Errorf("%d discoveries received, want 20", discovered)
	}
}
