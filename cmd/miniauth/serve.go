package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/httpapi"
	"github.com/miniauth/miniauth/internal/connlimit"
)

func serveCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "TOML configuration file (optional)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, warnings, err := config.Load(*configPath, environ)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	logs := httpapi.NewLockedWriter(stderr)
	for _, w := range warnings {
		newLogger(cfg.Log, logs).Warn(w)
	}
	n, err := startNode(ctx, cfg, logs, stdout)
	if err != nil {
		return err
	}
	return n.wait(ctx)
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: logLevel(c)}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func logLevel(c config.Log) slog.Level {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated by config
	return level
}

// newAccessLog writes the access log beside the other logs, in their
// format, off the request path.
func newAccessLog(c config.Log, w io.Writer) *httpapi.AccessLog {
	return httpapi.NewAccessLog(w, httpapi.AccessLogOptions{Text: c.Format == "text", Level: logLevel(c)})
}

// node is one running miniauth server.
type node struct {
	URL      string // http://host:port
	cfg      config.Config
	log      *slog.Logger
	access   *httpapi.AccessLog
	server   *http.Server
	listener net.Listener
	service  *miniauth.Service
	stores   *stores
	stopRun  context.CancelFunc
	ran      chan struct{} // closed when the service's Run has returned
	served   chan error
	debug    *debugServer // nil unless debug.addr is set

	api        http.Handler
	sim        http.Handler            // the simulator, when mounted
	background []func(context.Context) // run beside the service until stopRun
}

// startNode opens the stores, wires the service and starts serving. The
// banner goes to banner; logs, the access log among them, go to logs (whose
// writes must be safe for concurrent use and whole: see
// httpapi.LockedWriter).
func startNode(ctx context.Context, cfg config.Config, logs io.Writer, banner io.Writer) (n *node, err error) {
	logger := newLogger(cfg.Log, logs)
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", cfg.HTTP.Addr, err)
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	w := &wiring{cfg: cfg, logger: logger, url: baseURL(ln.Addr()), registry: prometheus.NewRegistry()}
	w.issuer = issuerOf(cfg, w.url)
	if w.st, err = openStores(ctx, cfg, logger, w.registry); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			w.st.close()
		}
	}()
	if w.plan, err = planApps(cfg, w.url+"/_wxsim"); err != nil {
		return nil, err
	}
	access := newAccessLog(cfg.Log, logs)
	defer func() {
		if err != nil {
			access.Close()
		}
	}()
	n, err = w.node(ctx, access)
	if err != nil {
		return nil, err
	}
	if cfg.Debug.Addr != "" {
		if n.debug, err = startDebug(cfg.Debug.Addr, logger); err != nil {
			return nil, err
		}
	}
	n.serve(ctx, ln)
	w.printBanner(banner, n.sim != nil)
	logger.Info("miniauth started", "url", w.url, "dev_mode", cfg.DevMode(), "stores", w.st.description, "version", versionString())
	return n, nil
}

// serve starts the background work and serves on ln. The background work
// keeps ctx's values but not its end: shutdown stops it, after the last
// request.
func (n *node) serve(ctx context.Context, ln net.Listener) {
	capped := capConnections(ln, n.cfg.HTTP.MaxConns, n.log)
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	n.stopRun = stopRun
	go func() { n.service.Run(runCtx); close(n.ran) }()
	for _, run := range n.background {
		go run(runCtx)
	}
	n.listener = capped
	n.server = newHTTPServer(n.cfg.HTTP, n.api, capped, n.log)
	// Long polls of scan to log in answer at once when shutdown begins,
	// rather than hold it for up to web_login.max_wait.
	n.server.RegisterOnShutdown(n.service.EndWebLoginWaits)
	go func() { n.served <- n.server.Serve(capped) }()
}

// Limits of one request that are not worth a setting.
const (
	readTimeout    = 30 * time.Second
	writeTimeout   = 30 * time.Second
	maxHeaderBytes = 16 << 10
)

func newHTTPServer(c config.HTTP, handler http.Handler, conns *connlimit.Listener, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: c.ReadHeaderTimeout.Duration,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       c.IdleTimeout.Duration,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         conns.ConnState,
		// When descriptors run out, net/http logs an accept error every few
		// milliseconds: one line a second, with a count of the rest.
		ErrorLog: connlimit.ErrorLog(logger, connlimit.DefaultErrorLogInterval),
	}
}

// capConnections caps the listener's open connections at maxConns, lowered
// to what the process's file descriptor limit allows.
func capConnections(ln net.Listener, maxConns int, logger *slog.Logger) *connlimit.Listener {
	if fitted, lowered := connlimit.FitFileLimit(maxConns); lowered {
		logger.Warn("http.max_conns lowered to fit the file descriptor limit (ulimit -n)",
			"configured", maxConns, "max_conns", fitted, "reserved_files", connlimit.ReservedFiles)
		maxConns = fitted
	}
	return connlimit.New(ln, maxConns, connlimit.DefaultNewConnGrace)
}

// wait serves until ctx ends, then shuts down gracefully.
func (n *node) wait(ctx context.Context) error {
	select {
	case err := <-n.served:
		n.stopRun()
		<-n.ran
		n.debug.close()
		n.stores.close()
		n.access.Close()
		return err
	case <-ctx.Done():
	}
	n.log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), n.cfg.HTTP.ShutdownTimeout.Duration)
	defer cancel()
	return n.shutdown(shutdownCtx)
}

// shutdown stops accepting, lets in-flight requests finish, stops the
// background work (which writes the login events still queued), then
// closes the stores.
func (n *node) shutdown(ctx context.Context) error {
	err := n.server.Shutdown(ctx)
	if serveErr := <-n.served; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	n.stopRun()
	<-n.ran
	n.debug.close()
	if closeErr := n.stores.close(); err == nil {
		err = closeErr
	}
	n.access.Close()
	n.log.Info("stopped")
	return err
}
