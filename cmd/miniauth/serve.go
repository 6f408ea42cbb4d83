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
	"github.com/miniauth/miniauth/wechat"
	"github.com/miniauth/miniauth/wxsim"
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
	url := baseURL(ln.Addr())

	st, err := openStores(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			st.close()
		}
	}()

	plan, err := planApps(cfg, url+"/_wxsim")
	if err != nil {
		return nil, err
	}
	wechatBase := cfg.WeChat.BaseURL
	var sim http.Handler
	if cfg.DevMode() {
		wechatBase = url + "/_wxsim"
	}
	if cfg.DevMode() || cfg.WeChat.Simulator {
		sim = wxsim.New(wxsim.Options{
			Apps:             plan.wechatApps,
			PlatformApps:     plan.simApps,
			AlipayGatewayKey: plan.gatewayKey,
			Logger:           logger.With("component", "wxsim"),
			// The simulator lives in the server's memory here: cap what it
			// remembers (about 10 MB) so that a long load test keeps the
			// server flat. Past the cap the oldest used codes are forgotten
			// and answer 40029 instead of 40163: invalid_code either way.
			MaxCodes:       1 << 14,
			MaxSessionKeys: 1 << 14,
		})
	}

	registry := prometheus.NewRegistry()
	var wx miniauth.WeChat = noWeChat{}
	if len(plan.wechatApps) > 0 {
		wx, err = wechat.New(wechat.Options{
			BaseURL:    wechatBase,
			Timeout:    cfg.WeChat.Timeout.Duration,
			Apps:       plan.wechatApps,
			Tokens:     st.accessTokens,
			TokenMode:  cfg.WeChat.TokenMode,
			Registerer: registry,

			CodeCacheEntries: cfg.WebLogin.CodeCache,
			Logger:           logger.With("component", "wechat"),
		})
		if err != nil {
			return nil, err
		}
	}
	providers, err := plan.providers(wx, registry, logger)
	if err != nil {
		return nil, err
	}
	issuer := issuerOf(cfg, url)
	keys, err := openSigningKeys(ctx, cfg, st, issuer, logger)
	if err != nil {
		return nil, err
	}
	avatars, avatarChecks, err := openAvatars(cfg)
	if err != nil {
		return nil, err
	}
	events := cfg.Events.Options()
	events.Store = st.loginEvents
	svc := miniauth.NewService(st.users, st.sessions, st.events, wx, miniauth.Options{
		Apps:               plan.appIDs,
		DefaultApp:         plan.defaultApp,
		Providers:          providers,
		Platforms:          plan.platforms(),
		AccessTTL:          cfg.Tokens.AccessTTL.Duration,
		RefreshTTL:         cfg.Tokens.RefreshTTL.Duration,
		CacheTTL:           cfg.Tokens.CacheTTL.Duration,
		Failures:           st.failures,
		Throttle:           cfg.Throttle.Limits(),
		Signer:             signerOf(keys),
		Issuer:             issuer,
		Avatars:            avatars,
		ContentCheck:       cfg.Profile.ContentCheck,
		RefreshReuseLeeway: cfg.Tokens.RefreshReuseLeeway.Duration,
		Ledger:             st.ledger,
		Boundary:           st.boundary,
		WebLogin:           webLoginOptions(cfg, st, plan, wx),
		Events:             events,
		Logger:             logger,
	})
	access := newAccessLog(cfg.Log, logs)
	defer func() {
		if err != nil {
			access.Close()
		}
	}()
	operators := newConsole(cfg, svc, st.console)
	pages, calls, err := consoleHandler(cfg, operators, plan, registry, logger)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	api, err := httpapi.New(httpapi.Options{
		Service:        svc,
		Logger:         logger,
		AccessLog:      access,
		Registry:       registry,
		BodyLimit:      int64(cfg.HTTP.BodyLimit),
		AvatarMaxBytes: int64(cfg.Avatar.MaxBytes),
		Checks:         append(st.checks, avatarChecks...),
		TrustedProxies: cfg.HTTP.TrustedProxies,
		AuthRate:       cfg.HTTP.AuthRate,
		AuthBurst:      cfg.HTTP.AuthBurst,
		AdminToken:     cfg.Admin.Token,
		Simulator:      sim,
		Console:        pages,

		Issuer:               issuer,
		KeySet:               keySetOf(keys),
		JWKSMaxAge:           cfg.Tokens.JWKSMaxAge.Duration,
		IntrospectionSecrets: cfg.Tokens.IntrospectionSecrets,

		WebLoginRate:  cfg.WebLogin.CreateRate,
		WebLoginBurst: cfg.WebLogin.CreateBurst,
		Demo:          cfg.DevMode(),
		Docs:          cfg.DevMode(),
	})
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}

	capped := capConnections(ln, cfg.HTTP.MaxConns, logger)
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	ran := make(chan struct{})
	go func() { svc.Run(runCtx); close(ran) }()
	go operators.Run(runCtx)
	go calls.Run(runCtx)
	if keys != nil {
		go keys.Run(runCtx)
	}
	n = &node{
		URL:      url,
		cfg:      cfg,
		log:      logger,
		access:   access,
		listener: capped,
		service:  svc,
		stores:   st,
		stopRun:  stopRun,
		ran:      ran,
		served:   make(chan error, 1),
		server:   newHTTPServer(cfg.HTTP, api, capped, logger),
	}
	// Long polls of scan to log in answer at once when shutdown begins,
	// rather than hold it for up to web_login.max_wait.
	n.server.RegisterOnShutdown(svc.EndWebLoginWaits)
	go func() { n.served <- n.server.Serve(capped) }()

	fmt.Fprintf(banner, "miniauth listening on %s\n", url)
	if cfg.DevMode() {
		fmt.Fprintf(banner, "dev mode: no WeChat app configured, so the simulator stands in for WeChat at %s/_wxsim\n", url)
		fmt.Fprintf(banner, "dev mode: AppID %s, data in %s (%s)\n", wxsim.DevAppID, cfg.Data.Dir, st.description)
		fmt.Fprint(banner, plan.devBanner(url+"/_wxsim"))
		fmt.Fprintf(banner, "dev mode: scan to log in demo at %s/_demo/web-login\n", url)
	} else if sim != nil {
		fmt.Fprintf(banner, "simulator mounted at %s/_wxsim (MINIAUTH_WECHAT_SIMULATOR=true)\n", url)
	}
	logger.Info("miniauth started", "url", url, "dev_mode", cfg.DevMode(), "stores", st.description, "version", versionString())
	return n, nil
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
	if closeErr := n.stores.close(); err == nil {
		err = closeErr
	}
	n.access.Close()
	n.log.Info("stopped")
	return err
}
