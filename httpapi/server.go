// Package httpapi is miniauth's HTTP API on gin: the routes of the outside
// contract, the error shape, request ids, access logs, metrics, body limits
// and rate limits. Handlers call the use cases of the root package; they
// never talk to a store.
package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
	"github.com/prometheus/client_golang/prometheus"
)

// Check is one dependency that /readyz asks.
type Check struct {
	Name string // e.g. "database", "redis"
	Ping func(ctx context.Context) error
}

// Options configures the HTTP API. Zero fields take defaults.
type Options struct {
	Service *miniauth.Service
	Logger  *slog.Logger // error logs; nil: discard
	// AccessLog receives one line per request; nil: none. The caller
	// closes it once the server has stopped.
	AccessLog *AccessLog

	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry

	BodyLimit      int64         // request body limit in bytes, default 64 KiB
	AvatarMaxBytes int64         // largest avatar file, default 1 MiB (the upload route's body may add the multipart envelope)
	ReadyTimeout   time.Duration // per readiness check, default 1s
	Checks         []Check       // asked by /readyz
	TrustedProxies []string      // proxies whose X-Forwarded-For is believed; none by default

	// AuthRate and AuthBurst limit login and refresh calls per client IP
	// (token bucket, per second). AuthRate 0 turns the limit off.
	AuthRate  float64
	AuthBurst int

	// AdminToken enables the admin API under /admin/v1 for callers that
	// present it as a bearer token. Empty: no admin API.
	AdminToken string

	// Console, when set, is the operators' console, mounted at /admin/.
	Console http.Handler

	// Simulator, when set, is mounted at /_wxsim (dev mode or when asked).
	Simulator http.Handler

	// Issuer is the public URL of miniauth, as in the tokens' "iss".
	Issuer string
	// KeySet publishes the JWT signing keys at /.well-known/jwks.json; nil
	// publishes none (opaque tokens).
	KeySet KeySet
	// JWKSMaxAge is how long the JWKS and the metadata may be cached;
	// default 10 minutes (the jose package's default).
	JWKSMaxAge time.Duration
	// IntrospectionSecrets authenticate callers of /api/v1/auth/introspect.
	IntrospectionSecrets []string

	// WebLoginRate and WebLoginBurst limit the scan-to-log-in tickets made
	// per client IP (token bucket, per second); rate 0: no limit.
	WebLoginRate  float64
	WebLoginBurst int
	// Demo serves the scan-to-log-in demo page at /_demo/web-login (dev
	// mode only).
	Demo bool
	// Docs serves the OpenAPI document as an HTML page at /docs (dev mode
	// only); /openapi.json is always served.
	Docs bool
}

// DefaultJWKSMaxAge is Options.JWKSMaxAge unless set.
const DefaultJWKSMaxAge = 10 * time.Minute

// DefaultBodyLimit is the request body limit unless configured.
const DefaultBodyLimit = 64 << 10

// Server is the HTTP API as an http.Handler.
type Server struct {
	opts    Options
	svc     *miniauth.Service
	log     *slog.Logger
	metrics *metrics
	access  *AccessLog
	limiter *ipLimiter
	engine  *gin.Engine

	throttleMetrics *throttleMetrics
	webLoginLimiter *ipLimiter
}

func init() {
	// gin's mode is process-wide; miniauth never wants its debug output.
	gin.SetMode(gin.ReleaseMode)
}

// New builds the routes.
func New(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	s := newServer(opts)
	r, err := newEngine(opts.TrustedProxies)
	if err != nil {
		return nil, err
	}
	r.Use(s.observe, s.recover, s.limitBody)
	s.routes(r)
	s.engine = r
	return s, nil
}

// withDefaults fills in the zero fields.
func (opts Options) withDefaults() Options {
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = DefaultBodyLimit
	}
	if opts.JWKSMaxAge <= 0 {
		opts.JWKSMaxAge = DefaultJWKSMaxAge
	}
	if opts.AvatarMaxBytes <= 0 {
		opts.AvatarMaxBytes = DefaultAvatarMaxBytes
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	return opts
}

// newServer makes the server's metrics and rate limiters.
func newServer(opts Options) *Server {
	s := &Server{
		opts:    opts,
		svc:     opts.Service,
		log:     opts.Logger,
		metrics: newMetrics(opts.Registry),
		access:  opts.AccessLog,
	}
	if s.access != nil {
		s.access.onDrop = s.metrics.accessLogDropped.Inc
	}
	s.throttleMetrics = newThrottleMetrics(opts.Registry, opts.Service)
	registerEventMetrics(opts.Registry, opts.Service)
	if opts.AuthRate > 0 {
		s.limiter = newIPLimiter(opts.AuthRate, max(opts.AuthBurst, 1), time.Now)
	}
	if opts.WebLoginRate > 0 {
		s.webLoginLimiter = newIPLimiter(opts.WebLoginRate, max(opts.WebLoginBurst, 1), time.Now)
	}
	return s
}

// newEngine is a gin engine that answers every path itself.
func newEngine(trustedProxies []string) (*gin.Engine, error) {
	r := gin.New()
	r.HandleMethodNotAllowed = false // unknown method on a route: not_found, like an unknown route
	r.ContextWithFallback = true     // c.Done()/c.Err() follow the request's context
	// Nothing redirects: /me/ or //me is an unknown path, answered 404 in the
	// contract's shape (with a request id, a log line and a metric), never
	// gin's 301/307 with an HTML body.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.RemoveExtraSlash = false
	if err := r.SetTrustedProxies(trustedProxies); err != nil {
		return nil, err
	}
	return r, nil
}

// routes registers every route: this is the one list of them.
func (s *Server) routes(r *gin.Engine) {
	opts := s.opts
	r.NoRoute(func(c *gin.Context) {
		s.fail(c, miniauth.Errorf(miniauth.ENotFound, "no route %s %s", c.Request.Method, c.Request.URL.Path))
	})

	api := r.Group("", s.checkInput)
	getAndHead(api, "/healthz", s.healthz)
	getAndHead(api, "/readyz", s.readyz)
	getAndHead(api, "/metrics", gin.WrapH(s.metricsHandler()))
	getAndHead(api, "/openapi.json", s.serveOpenAPI)
	if opts.Docs {
		getAndHead(api, "/docs", s.serveDocs)
	}

	v1 := api.Group("/api/v1")
	v1.POST("/auth/login", noStore, s.rateLimit, s.login)
	v1.POST("/auth/refresh", noStore, s.rateLimit, s.refresh)
	v1.POST("/auth/logout", s.authenticate, s.logout)
	// Gateways' auth subrequests may carry the original method (nginx
	// auth_request does), so verify answers every method.
	v1.Any("/auth/verify", s.authenticate, s.verify)
	getAndHead(v1, "/me", s.authenticate, s.me)
	v1.POST("/auth/introspect", noStore, s.introspect)
	getAndHead(r, "/.well-known/jwks.json", s.jwks)
	getAndHead(r, "/.well-known/oauth-authorization-server", s.metadata)
	v1.POST("/me/phone", s.authenticate, s.bindPhone)
	s.profileRoutes(r, v1)
	s.accountRoutes(v1)
	s.webLoginRoutes(v1)
	if opts.Demo {
		s.demoRoutes(api)
	}

	if opts.AdminToken != "" {
		// The token first: a caller without it learns nothing from the ids.
		s.adminRoutes(r.Group("/admin/v1", s.authenticateAdmin, s.checkInput))
	}
	if opts.Console != nil {
		s.consoleRoutes(api, opts.Console)
	}
	// The simulator parses its own input, as WeChat would.
	if opts.Simulator != nil {
		sim := gin.WrapH(http.StripPrefix("/_wxsim", opts.Simulator))
		r.Any("/_wxsim/*path", sim)
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.engine.ServeHTTP(w, r)
}

// getAndHead registers a GET route and the same handlers for HEAD: every
// route answers HEAD where it answers GET, with the same status and headers
// (net/http drops the body of a HEAD answer and keeps its Content-Length).
func getAndHead(g gin.IRoutes, path string, handlers ...gin.HandlerFunc) {
	g.GET(path, handlers...)
	g.HEAD(path, handlers...)
}

// noStore marks answers that carry tokens as never to be cached, by
// browsers or proxies (RFC 6749 5.1). Routes that hand out tokens take it
// first, so that their error answers carry it too.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.Next()
}
