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
	Logger  *slog.Logger // access and error logs; nil: discard

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

	// Simulator, when set, is mounted at /_wxsim (dev mode or when asked).
	Simulator http.Handler
}

// DefaultBodyLimit is the request body limit unless configured.
const DefaultBodyLimit = 64 << 10

// Server is the HTTP API as an http.Handler.
type Server struct {
	opts    Options
	svc     *miniauth.Service
	log     *slog.Logger
	metrics *metrics
	limiter *ipLimiter
	engine  *gin.Engine
}

func init() {
	// gin's mode is process-wide; miniauth never wants its debug output.
	gin.SetMode(gin.ReleaseMode)
}

// New builds the routes.
func New(opts Options) (*Server, error) {
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = DefaultBodyLimit
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
	s := &Server{
		opts:    opts,
		svc:     opts.Service,
		log:     opts.Logger,
		metrics: newMetrics(opts.Registry),
	}
	if opts.AuthRate > 0 {
		s.limiter = newIPLimiter(opts.AuthRate, max(opts.AuthBurst, 1), time.Now)
	}

	r := gin.New()
	r.HandleMethodNotAllowed = false // unknown method on a route: not_found, like an unknown route
	r.ContextWithFallback = true     // c.Done()/c.Err() follow the request's context
	if err := r.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, err
	}
	r.Use(s.requestID, s.observe, s.recover, s.limitBody)
	r.NoRoute(func(c *gin.Context) {
		s.fail(c, miniauth.Errorf(miniauth.ENotFound, "no route %s %s", c.Request.Method, c.Request.URL.Path))
	})

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(s.metricsHandler()))

	v1 := r.Group("/api/v1")
	v1.POST("/auth/login", s.rateLimit, s.login)
	v1.POST("/auth/refresh", s.rateLimit, s.refresh)
	v1.POST("/auth/logout", s.authenticate, s.logout)
	// Gateways' auth subrequests may carry the original method (nginx
	// auth_request does), so verify answers every method.
	v1.Any("/auth/verify", s.authenticate, s.verify)
	v1.GET("/me", s.authenticate, s.me)
	v1.POST("/me/phone", s.authenticate, s.bindPhone)
	s.profileRoutes(r, v1)

	if opts.AdminToken != "" {
		s.adminRoutes(r.Group("/admin/v1", s.authenticateAdmin))
	}
	if opts.Simulator != nil {
		sim := gin.WrapH(http.StripPrefix("/_wxsim", opts.Simulator))
		r.Any("/_wxsim/*path", sim)
	}
	s.engine = r
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.engine.ServeHTTP(w, r)
}
