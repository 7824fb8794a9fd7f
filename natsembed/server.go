package natsembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerOptions configure the embedded server.
type ServerOptions struct {
	// Host is the listen address (default 127.0.0.1). The server has no
	// authentication: anything but loopback needs AllowNonLoopback.
	Host string
	// Port is the client port; -1 picks a free one (default 4222).
	Port int
	// StoreDir holds JetStream's files; they survive restarts. Required.
	StoreDir string
	// MaxPayload is the largest message in bytes (default 8 MiB).
	MaxPayload int32
	// AllowNonLoopback permits a Host that is not a loopback address.
	AllowNonLoopback bool
	// Name names the server (default omswatch).
	Name string
	// Logger receives the server's warnings and errors (default: none).
	Logger *slog.Logger
}

func (o *ServerOptions) setDefaults() {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = 4222
	}
	if o.MaxPayload == 0 {
		o.MaxPayload = 8 << 20
	}
	if o.Name == "" {
		o.Name = "omswatch"
	}
}

func (o *ServerOptions) validate() error {
	var errs []error
	if o.StoreDir == "" {
		errs = append(errs, errors.New("a store directory is required for JetStream"))
	}
	ip := net.ParseIP(o.Host)
	if o.Host != "localhost" && (ip == nil || !ip.IsLoopback()) && !o.AllowNonLoopback {
		errs = append(errs, fmt.Errorf("host %q is not a loopback address; the embedded server has no auth", o.Host))
	}
	if o.Port != -1 && (o.Port < 1 || o.Port > 65535) {
		errs = append(errs, fmt.Errorf("port %d: want 1 to 65535, or -1 for a free port", o.Port))
	}
	return errors.Join(errs...)
}

// Server is a running embedded NATS server with JetStream.
type Server struct {
	ns   *server.Server
	lock *storeLock
}

// Start starts the server and waits until it accepts connections and
// JetStream is ready (recovering what StoreDir holds), or ctx ends.
func Start(ctx context.Context, o ServerOptions) (*Server, error) {
	o.setDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	dir, err := filepath.Abs(o.StoreDir)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: store dir: %w", err)
	}
	lock, err := lockStore(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: o.Name, Host: o.Host, Port: o.Port, JetStream: true, StoreDir: dir,
		MaxPayload: o.MaxPayload, NoSigs: true,
	})
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The server reports a port it cannot bind through its logger's
	// Fatalf and just stays not ready: hear it, rather than wait out the
	// deadline.
	fatal := make(chan string, 1)
	ns.SetLoggerV2(&logAdapter{l: log.With("component", "nats"), fatal: fatal}, false, false, false)
	ns.Start()
	if err := waitReady(ctx, ns, fatal); err != nil {
		ns.Shutdown()
		lock.release()
		return nil, fmt.Errorf("embedded NATS on %s:%d (store %s): %w", o.Host, o.Port, dir, err)
	}
	lock.write(holder{PID: os.Getpid(), URL: ns.ClientURL(), Since: time.Now().UTC()})
	return &Server{ns: ns, lock: lock}, nil
}

// waitReady waits until the server accepts connections, it reports a
// fatal error (a port in use), ctx ends (a stop while starting) or 30s
// pass (ctx's deadline, when sooner).
func waitReady(ctx context.Context, ns *server.Server, fatal <-chan string) error {
	deadline := time.Now().Add(30 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	for !ns.ReadyForConnections(50 * time.Millisecond) {
		select {
		case msg := <-fatal:
			return errors.New(msg)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			return errors.New("not ready within 30s")
		}
	}
	return nil
}

// ClientURL is the URL clients connect to.
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// Shutdown stops the server and waits until it has, or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
		s.lock.release()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("embedded NATS shutdown: %w", ctx.Err())
	}
}

// logAdapter sends the server's log to slog; notices and debug lines are
// dropped (the server is chatty at start-up).
type logAdapter struct {
	l     *slog.Logger
	fatal chan<- string // hears the first fatal error (while starting)
}

func (a *logAdapter) Noticef(string, ...any) {}
func (a *logAdapter) Warnf(format string, v ...any) {
	a.l.Warn(fmt.Sprintf(format, v...))
}
func (a *logAdapter) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	a.l.Error(msg)
	select {
	case a.fatal <- msg:
	default:
	}
}
func (a *logAdapter) Errorf(format string, v ...any) {
	a.l.Error(fmt.Sprintf(format, v...))
}
func (a *logAdapter) Debugf(string, ...any) {}
func (a *logAdapter) Tracef(string, ...any) {}
