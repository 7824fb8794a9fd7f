package proctest

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/oms/omssim"
	"github.com/omswatch/omswatch/sinks/sinktest"
)

// StartSim serves the OMS simulator with o on a loopback port, for a
// child configured with its URL; both stop when the test ends.
func StartSim(t *testing.T, o omssim.Options) (*omssim.Server, *httptest.Server) {
	t.Helper()
	srv, err := omssim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return srv, hs
}

// StartNATS runs a JetStream server in the test process, as the
// children's external NATS, and connects the test to it. Its max payload
// is 8 MiB, as the suites' hostile inputs need.
func StartNATS(t *testing.T) (*sinktest.Server, jetstream.JetStream) {
	t.Helper()
	ns := sinktest.StartNATS(t, 8<<20)
	_, js := sinktest.Connect(t, ns)
	return ns, js
}

// StartEmbeddedNATS starts omswatch's embedded NATS server with JetStream
// in dir on a free loopback port, as `run` does, and returns a JetStream
// context on it. Starting it again in the same dir finds what was stored.
func StartEmbeddedNATS(t testing.TB, dir string) (*natsembed.Server, jetstream.JetStream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ns, err := natsembed.Start(ctx, natsembed.ServerOptions{Port: -1, StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ns.Shutdown(context.Background()) })
	nc, err := natsembed.Connect(ctx, natsembed.ConnOptions{URL: ns.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return ns, js
}

// StreamMsgs reads every message of a stream, in sequence order, leaving
// out the deleted ones; any other error stops it. The tests compare what
// omswatch audited (or delivered to a stream) with what they expected.
func StreamMsgs(ctx context.Context, js jetstream.JetStream, stream string) ([]*jetstream.RawStreamMsg, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// SimRequest is one OMS API request the simulator answered, from its
// request log line.
type SimRequest struct {
	Action, Principal, Project string
	Fault                      string // the injected fault, if any
	Status                     int
	Dropped                    bool
	At                         time.Time
}

// SimLog is a slog.Handler to set as the simulator's Logger: it keeps the
// request lines (those naming an action; the control endpoint's are left
// out), so a test can see which replica asked what, and when.
type SimLog struct {
	mu   sync.Mutex
	reqs []SimRequest
}

func (s *SimLog) Enabled(context.Context, slog.Level) bool { return true }
func (s *SimLog) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *SimLog) WithGroup(string) slog.Handler            { return s }

func (s *SimLog) Handle(_ context.Context, r slog.Record) error {
	q := SimRequest{At: r.Time}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "action":
			q.Action = a.Value.String()
		case "principal":
			q.Principal = a.Value.String()
		case "project":
			q.Project = a.Value.String()
		case "fault":
			q.Fault = a.Value.String()
		case "status":
			q.Status = int(a.Value.Int64())
		case "dropped":
			q.Dropped = a.Value.Bool()
		}
		return true
	})
	if q.Action == "" {
		return nil // the control endpoint
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, q)
	s.mu.Unlock()
	return nil
}

// All is every request so far, in the order answered.
func (s *SimLog) All() []SimRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SimRequest(nil), s.reqs...)
}

// Len is how many requests were answered so far.
func (s *SimLog) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}
