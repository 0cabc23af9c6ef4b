package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// shutdownGrace bounds how long Run waits for in-flight requests once its
// context ends.
const shutdownGrace = 5 * time.Second

// Server serves /metrics from a gatherer, /healthz (200 while the process
// runs) and /readyz (200 when the readiness check returns nil, 503 with
// its error otherwise).
type Server struct {
	addr string
	log  *zap.Logger
	srv  *http.Server
	ln   net.Listener
}

// NewServer returns a server for addr ("host:port"; port 0 picks a free
// one). ready is called on every /readyz request. It starts nothing.
func NewServer(addr string, g prometheus.Gatherer, ready func() error, log *zap.Logger) *Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:      zap.NewStdLog(log),
		ErrorHandling: promhttp.ContinueOnError,
		Timeout:       10 * time.Second,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := ready(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
		_, _ = fmt.Fprintln(w, "ready")
	})
	return &Server{
		addr: addr,
		log:  log,
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
	}
}

// Listen binds the address and returns it (with the port chosen when the
// address asked for port 0). Run calls it when it has not been called.
func (s *Server) Listen() (net.Addr, error) {
	if s.ln != nil {
		return s.ln.Addr(), nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen %s: %w", s.addr, err)
	}
	s.ln = ln
	return ln.Addr(), nil
}

// Run serves until ctx ends, then shuts down gracefully, waiting at most
// a few seconds for requests in flight.
func (s *Server) Run(ctx context.Context) error {
	if _, err := s.Listen(); err != nil {
		return err
	}
	s.log.Info("serving metrics", zap.Stringer("addr", s.ln.Addr()))
	done := make(chan error, 1)
	go func() { done <- s.srv.Serve(s.ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && serr != nil {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("metrics server shutdown: %w", err)
	}
	return nil
}
