package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/httpapi"
	"github.com/miniauth/miniauth/jose"
	"github.com/miniauth/miniauth/wechat"
	"github.com/miniauth/miniauth/wxsim"
)

// wiring is what the steps of startNode share: the configuration, the
// node's URL, its stores and apps, and the metrics registry.
type wiring struct {
	cfg      config.Config
	logger   *slog.Logger
	url      string // http://host:port
	issuer   string
	st       *stores
	plan     *appPlan
	registry *prometheus.Registry
}

// node wires the service, the console and the HTTP API over the stores,
// ready to serve.
func (w *wiring) node(ctx context.Context, access *httpapi.AccessLog) (*node, error) {
	wx, err := w.weChat()
	if err != nil {
		return nil, err
	}
	keys, err := openSigningKeys(ctx, w.cfg, w.st, w.issuer, w.logger)
	if err != nil {
		return nil, err
	}
	svc, avatarChecks, err := w.service(wx, keys)
	if err != nil {
		return nil, err
	}
	operators := newConsole(w.cfg, svc, w.st.console)
	pages, calls, err := consoleHandler(w.cfg, operators, w.plan, w.registry, w.logger)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	sim := w.simulator()
	api, err := httpapi.New(w.apiOptions(svc, keys, access, sim, pages, avatarChecks))
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	n := &node{
		URL:     w.url,
		cfg:     w.cfg,
		log:     w.logger,
		access:  access,
		service: svc,
		stores:  w.st,
		ran:     make(chan struct{}),
		served:  make(chan error, 1),
		api:     api,
		sim:     sim,
	}
	n.background = []func(context.Context){operators.Run, calls.Run}
	if keys != nil {
		n.background = append(n.background, keys.Run)
	}
	return n, nil
}

// simulator is the WeChat simulator to mount at /_wxsim, or nil.
func (w *wiring) simulator() http.Handler {
	if !w.cfg.DevMode() && !w.cfg.WeChat.Simulator {
		return nil
	}
	return wxsim.New(wxsim.Options{
		Apps:             w.plan.wechatApps,
		PlatformApps:     w.plan.simApps,
		AlipayGatewayKey: w.plan.gatewayKey,
		Logger:           w.logger.With("component", "wxsim"),
		// The simulator lives in the server's memory here: cap what it
		// remembers (about 10 MB) so that a long load test keeps the
		// server flat. Past the cap the oldest used codes are forgotten
		// and answer 40029 instead of 40163: invalid_code either way.
		MaxCodes:       1 << 14,
		MaxSessionKeys: 1 << 14,
	})
}

// weChat is the client of WeChat's API (of the simulator in dev mode), or
// noWeChat when no WeChat app is configured.
func (w *wiring) weChat() (miniauth.WeChat, error) {
	if len(w.plan.wechatApps) == 0 {
		return noWeChat{}, nil
	}
	base := w.cfg.WeChat.BaseURL
	if w.cfg.DevMode() {
		base = w.url + "/_wxsim"
	}
	return wechat.New(wechat.Options{
		BaseURL:    base,
		Timeout:    w.cfg.WeChat.Timeout.Duration,
		Apps:       w.plan.wechatApps,
		Tokens:     w.st.accessTokens,
		TokenMode:  w.cfg.WeChat.TokenMode,
		Registerer: w.registry,

		CodeCacheEntries: w.cfg.WebLogin.CodeCache,
		Logger:           w.logger.With("component", "wechat"),
	})
}

// service is the use cases over the stores, with the checks of the avatar
// storage for /readyz.
func (w *wiring) service(wx miniauth.WeChat, keys *jose.Keys) (*miniauth.Service, []httpapi.Check, error) {
	cfg, st, plan := w.cfg, w.st, w.plan
	providers, err := plan.providers(wx, w.registry, w.logger)
	if err != nil {
		return nil, nil, err
	}
	avatars, avatarChecks, err := openAvatars(cfg)
	if err != nil {
		return nil, nil, err
	}
	events := cfg.Events.Options()
	events.Store = st.loginEvents
	sealer, err := tokenSealer(cfg)
	if err != nil {
		return nil, nil, err
	}
	return miniauth.NewService(st.users, st.sessions, st.events, wx, miniauth.Options{
		Apps:               plan.appIDs,
		DefaultApp:         plan.defaultApp,
		Providers:          providers,
		Platforms:          plan.platforms(),
		AccessTTL:          cfg.Tokens.AccessTTL.Duration,
		RefreshTTL:         cfg.Tokens.RefreshTTL.Duration,
		CacheTTL:           cfg.Tokens.CacheTTL.Duration,
		ProfileTTL:         cfg.Tokens.ProfileTTL.Duration,
		CacheEntries:       cfg.Tokens.CacheEntries,
		TouchQueue:         cfg.Tokens.TouchQueue,
		TouchInterval:      cfg.Tokens.TouchInterval.Duration,
		Failures:           st.failures,
		Throttle:           cfg.Throttle.Limits(),
		Signer:             signerOf(keys),
		Sealer:             sealer,
		Endings:            st.endings,
		EndingsInterval:    cfg.Tokens.EndingsInterval.Duration,
		Issuer:             w.issuer,
		Avatars:            avatars,
		ContentCheck:       cfg.Profile.ContentCheck,
		RefreshReuseLeeway: cfg.Tokens.RefreshReuseLeeway.Duration,
		Ledger:             st.ledger,
		Boundary:           st.boundary,
		Starter:            st.starter,
		WebLogin:           webLoginOptions(cfg, st, plan, wx),
		Events:             events,
		Logger:             w.logger,
	}), avatarChecks, nil
}

func (w *wiring) apiOptions(svc *miniauth.Service, keys *jose.Keys, access *httpapi.AccessLog, sim, pages http.Handler, avatarChecks []httpapi.Check) httpapi.Options {
	cfg := w.cfg
	return httpapi.Options{
		Service:        svc,
		Logger:         w.logger,
		AccessLog:      access,
		Registry:       w.registry,
		BodyLimit:      int64(cfg.HTTP.BodyLimit),
		AvatarMaxBytes: int64(cfg.Avatar.MaxBytes),
		Checks:         append(w.st.checks, avatarChecks...),
		TrustedProxies: cfg.HTTP.TrustedProxies,
		AuthRate:       cfg.HTTP.AuthRate,
		AuthBurst:      cfg.HTTP.AuthBurst,
		AdminToken:     cfg.Admin.Token,
		Simulator:      sim,
		Console:        pages,

		Issuer:               w.issuer,
		KeySet:               keySetOf(keys),
		JWKSMaxAge:           cfg.Tokens.JWKSMaxAge.Duration,
		IntrospectionSecrets: cfg.Tokens.IntrospectionSecrets,

		WebLoginRate:  cfg.WebLogin.CreateRate,
		WebLoginBurst: cfg.WebLogin.CreateBurst,
		Demo:          cfg.DevMode(),
		Docs:          cfg.DevMode(),
	}
}

func (w *wiring) printBanner(banner io.Writer, simulator bool) {
	url := w.url
	fmt.Fprintf(banner, "miniauth listening on %s\n", url)
	if w.cfg.DevMode() {
		fmt.Fprintf(banner, "dev mode: no WeChat app configured, so the simulator stands in for WeChat at %s/_wxsim\n", url)
		fmt.Fprintf(banner, "dev mode: AppID %s, data in %s (%s)\n", wxsim.DevAppID, w.cfg.Data.Dir, w.st.description)
		fmt.Fprint(banner, w.plan.devBanner(url+"/_wxsim"))
		fmt.Fprintf(banner, "dev mode: scan to log in demo at %s/_demo/web-login\n", url)
	} else if simulator {
		fmt.Fprintf(banner, "simulator mounted at %s/_wxsim (MINIAUTH_WECHAT_SIMULATOR=true)\n", url)
	}
}
