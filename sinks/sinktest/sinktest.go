// Package sinktest holds what the sinks' tests share: an embedded NATS
// server with JetStream on a free loopback port and a temporary store.
package sinktest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Server is a running test server.
type Server struct {
	*server.Server
	// Dir is the JetStream store directory.
	Dir string
}

// StartNATS starts an embedded JetStream server (port -1, t.TempDir()
// store, maxPayload bytes or the default when 0) that stops with the test.
func StartNATS(t testing.TB, maxPayload int32) *Server {
	t.Helper()
	return StartNATSAt(t, t.TempDir(), maxPayload)
}

// StartNATSAt starts a server on an existing store directory (a restart).
func StartNATSAt(t testing.TB, dir string, maxPayload int32) *Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir,
		MaxPayload: maxPayload, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return &Server{Server: ns, Dir: dir}
}

// Connect connects to s and returns the connection and its JetStream; both
// close with the test.
func Connect(t testing.TB, s *Server) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}
