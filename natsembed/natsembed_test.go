package natsembed

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/secret"
)

func TestServerPersistsJetStreamAcrossRestarts(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	put := func(value string) uint64 {
		s, err := Start(ctx, ServerOptions{Port: -1, StoreDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Shutdown(ctx)
		if !strings.HasPrefix(s.ClientURL(), "nats://127.0.0.1:") {
			t.Errorf("client URL %s is not on loopback", s.ClientURL())
		}
		nc, err := Connect(ctx, ConnOptions{URL: s.ClientURL()})
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "b"})
		if err != nil {
			t.Fatal(err)
		}
		if value == "" {
			e, err := kv.Get(ctx, "k")
			if err != nil {
				t.Fatalf("after a restart: %v", err)
			}
			if string(e.Value()) != "v1" {
				t.Errorf("after a restart the value is %q, want v1", e.Value())
			}
			return e.Revision()
		}
		rev, err := kv.Put(ctx, "k", []byte(value))
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	rev := put("v1")
	if got := put(""); got != rev {
		t.Errorf("revision after restart %d, want %d", got, rev)
	}
}

func TestServerOptionsAreChecked(t *testing.T) {
	cases := []struct {
		name string
		opts ServerOptions
		want string
	}{
		{"no store dir", ServerOptions{Port: -1}, "store directory"},
		{"non-loopback host", ServerOptions{Port: -1, StoreDir: "x", Host: "0.0.0.0"}, "not a loopback"},
		{"bad port", ServerOptions{Port: 70000, StoreDir: "x"}, "port 70000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Start(t.Context(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestConnectRefusesTwoAuthMethods(t *testing.T) {
	_, err := Connect(t.Context(), ConnOptions{URL: "nats://127.0.0.1:1", User: "u", Password: secret.New("pw"), Token: secret.New("tok")})
	if err == nil || !strings.Contains(err.Error(), "one way to authenticate") {
		t.Errorf("error %v, want a refusal of two auth methods", err)
	}
}

func TestConnectAuthenticates(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, Username: "omswatch", Password: "right-pw", NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	cases := []struct {
		name, password string
		wantErr        bool
	}{
		{"right password", "right-pw", false},
		{"wrong password", "wrong-pw", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			nc, err := Connect(ctx, ConnOptions{URL: ns.ClientURL(), User: "omswatch", Password: secret.New(tc.password)})
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if err == nil {
				nc.Close()
			} else if strings.Contains(err.Error(), tc.password) {
				t.Errorf("the error %q shows the password", err)
			}
		})
	}
}

// A subscription that falls behind is said in the log, with its subject,
// not in the client's own line on stderr.
func TestConnectLogsASlowConsumer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx, ServerOptions{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(ctx)
	var logs syncBuffer
	nc, err := Connect(ctx, ConnOptions{URL: s.ClientURL(), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	block := make(chan struct{})
	defer close(block)
	sub, err := nc.Subscribe("busy.subject", func(*nats.Msg) { <-block })
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.SetPendingLimits(2, 1<<20); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := nc.Publish("busy.subject", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(logs.String(), `msg="NATS client error" component=nats_client subject=busy.subject`) {
		select {
		case <-ctx.Done():
			t.Fatalf("no log line of the slow consumer; logs: %s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
