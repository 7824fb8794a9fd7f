package service

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// serveHTTP serves /metrics, /healthz, /readyz and the console on listen (port 0: a
// free one, which the log names).
func (s *Service) serveHTTP(listen string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", listen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{
		ErrorLog: promLogger{s}, Registry: s.metrics.reg, Timeout: 10 * time.Second}))
	// Alive as long as the process answers: a replica that is not ready
	// (OMS refusing its keys, NATS down) must not be restarted for it.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := s.ready(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %s\n", s.o.Redactor.Redact(err.Error()))
			return
		}
		fmt.Fprintln(w, "ready")
	})
	if s.slackAct != nil && s.slackAct.Signed() {
		mux.Handle("POST /slack/interactions", s.slackAct)
	}
	s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if s.console != nil {
		s.console.c.Register(mux) // "/" and below; the paths above stay the service's
		s.httpSrv.RegisterOnShutdown(s.console.live.Close)
	}
	s.httpAddr = ln.Addr().String()
	go func() {
		if err := s.httpSrv.Serve(ln); err != nil && err != http.ErrServerClosed {
			s.log.Error("the metrics and health server stopped", "error", err)
		}
	}()
	s.log.Info("serving metrics and health", "address", s.httpAddr)
	if s.slackAct != nil && s.slackAct.Signed() {
		s.log.Info("serving Slack interactions", "url", "http://"+s.httpAddr+"/slack/interactions")
	}
	if s.console != nil {
		s.log.Info("serving the web console", "url", "http://"+s.httpAddr+"/")
	}
	return nil
}

// promLogger lets promhttp report scrape errors through slog.
type promLogger struct{ s *Service }

func (l promLogger) Println(v ...any) { l.s.log.Warn("metrics: " + fmt.Sprint(v...)) }
