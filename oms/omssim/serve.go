package omssim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// Serve serves the simulator's APIs on ln until ctx ends, then releases
// the requests its latency and timeout faults hold and shuts the HTTP
// server down (for up to 5 s). It returns the server's error if serving
// stopped on its own.
func (s *Server) Serve(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	if log != nil {
		hs.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		s.Close()
		return fmt.Errorf("simulator: %w", err)
	case <-ctx.Done():
	}
	s.Close()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("simulator: shutdown: %w", err)
	}
	return nil
}

// OpenRecording reads a recording file and replays it as opts say.
func OpenRecording(path string, opts ReplayOptions) (*Replay, []Observation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	obs, err := ReadRecording(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	r, err := NewReplay(obs, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, obs, nil
}

// CheckListen refuses a non-loopback listen address unless allowed: the
// simulator hands out demo credentials and a control endpoint, nothing to
// expose.
func CheckListen(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: want HOST:PORT, e.g. 127.0.0.1:8089", addr)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--listen %q: not a loopback address; pass --allow-remote to serve other machines", addr)
	}
	return nil
}

// WriteRecordingFile writes a recording of sc (WriteRecording) to a new
// file at path.
func WriteRecordingFile(path string, sc Scenario, o RecordOptions) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write recording: %w", err)
	}
	if err := errors.Join(WriteRecording(f, sc, o), f.Close()); err != nil {
		return fmt.Errorf("write recording %s: %w", path, err)
	}
	return nil
}
