package miniauth

import (
	"context"
	"io"
	"log/slog"
	"time"
)

// Options configures a Service. Zero fields take the defaults of
// DefaultOptions, filled in by NewService.
type Options struct {
	// Apps are the appids this deployment serves. The first is used when a
	// login names none and it is the only one.
	Apps []string
	// DefaultApp is the app of a login that names none, when several are
	// served (dev mode: the WeChat dev app). Empty: such a login is refused.
	DefaultApp string
	// Providers exchange the login codes of each app, by appid. An app
	// without one is WeChat's, exchanged by the WeChat client.
	Providers map[string]LoginProvider

	AccessTTL  time.Duration // access token lifetime, default 2h
	RefreshTTL time.Duration // refresh token lifetime, default 30 days

	// CacheTTL is how long a verified session is trusted without asking the
	// store again (default 800ms; negative disables the cache). It bounds how
	// long a revocation on another node can go unseen when no SessionEvents
	// carry it.
	CacheTTL time.Duration
	// CacheEntries bounds the verify cache (default 100,000 sessions).
	CacheEntries int
	// TouchInterval is how stale a session's LastUsedAt may get before a
	// verify writes it again (default 1 minute): writing on every request
	// would put a store write on the hot path.
	TouchInterval time.Duration
	// PurgeInterval is how often expired sessions are deleted (default 10 minutes).
	PurgeInterval time.Duration
	// RefreshReuseLeeway is how long after its rotation a refresh token
	// presented again is taken for a client that raced itself (401, the
	// session lives on) rather than for a thief (the session ends). Default
	// 10s; negative turns it off.
	RefreshReuseLeeway time.Duration

	// Ledger, set when sessions live in a store that may lose data
	// (Redis), records every ending durably; sessions read from the store
	// whose tokens were issued before Boundary are checked against it.
	// Nil when the session store is its own truth (SQL).
	Ledger SessionLedger
	// Boundary goes with Ledger; nil checks every session loaded from the
	// store against the ledger.
	Boundary *TrustBoundary

	// Failures counts failed logins and refreshes for Throttle; nil: no
	// throttling. Throttle's zero limits are off (no defaults are filled in:
	// the Default* constants are the configuration's).
	Failures FailureCounter
	Throttle ThrottleLimits
	// Signer, when set, makes access tokens signed JWTs (tokens.format =
	// "jwt"); opaque access tokens issued before keep working. Nil: opaque.
	Signer AccessTokenSigner
	// Issuer is the "iss" of signed tokens and of introspection answers.
	Issuer string
	// WebLogin configures scan to log in on the web (weblogin.go).
	WebLogin WebLoginOptions

	Logger *slog.Logger
	Now    func() time.Time
}

// DefaultOptions are the defaults NewService fills in.
var DefaultOptions = Options{
	AccessTTL:     2 * time.Hour,
	RefreshTTL:    30 * 24 * time.Hour,
	CacheTTL:      800 * time.Millisecond,
	CacheEntries:  100_000,
	TouchInterval: time.Minute,
	PurgeInterval: 10 * time.Minute,

	RefreshReuseLeeway: DefaultRefreshReuseLeeway,
}

// DefaultRefreshReuseLeeway is the default of Options.RefreshReuseLeeway,
// as Auth0's reuse interval and Okta's grace period.
const DefaultRefreshReuseLeeway = 10 * time.Second

func (o Options) withDefaults() Options {
	d := DefaultOptions
	if o.AccessTTL <= 0 {
		o.AccessTTL = d.AccessTTL
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = d.RefreshTTL
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = d.CacheTTL
	}
	if o.CacheEntries <= 0 {
		o.CacheEntries = d.CacheEntries
	}
	if o.TouchInterval <= 0 {
		o.TouchInterval = d.TouchInterval
	}
	if o.PurgeInterval <= 0 {
		o.PurgeInterval = d.PurgeInterval
	}
	if o.RefreshReuseLeeway == 0 {
		o.RefreshReuseLeeway = d.RefreshReuseLeeway
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Service holds the use cases: login, refresh, logout, verify, the user's
// profile and the admin actions. It is safe for concurrent use.
type Service struct {
	users    UserStore
	sessions SessionStore
	events   SessionEvents // nil without Redis
	ledger   SessionLedger // nil when sessions are their own truth
	boundary *TrustBoundary
	wechat   WeChat
	opts     Options
	cache    *sessionCache
	throttle *throttle
	claims   *claimsCache // of signed tokens already checked
	web      *webLogins
	log      *slog.Logger
}

// NewService returns a Service over the given stores. events may be nil.
func NewService(users UserStore, sessions SessionStore, events SessionEvents, wx WeChat, opts Options) *Service {
	opts = opts.withDefaults()
	return &Service{
		users:    users,
		sessions: sessions,
		events:   events,
		ledger:   opts.Ledger,
		boundary: opts.Boundary,
		wechat:   wx,
		opts:     opts,
		cache:    newSessionCache(opts.CacheTTL, opts.CacheEntries),
		throttle: newThrottle(opts.Failures, opts.Throttle, opts.Now, opts.Logger),
		claims:   newClaimsCache(opts.CacheEntries),
		web:      newWebLogins(opts.WebLogin),
		log:      opts.Logger,
	}
}

// AccessTTL is the lifetime of the access tokens this service issues.
func (s *Service) AccessTTL() time.Duration { return s.opts.AccessTTL }

// Run does the background work until ctx ends: it follows session change
// events from other nodes, sweeps the verify cache, and deletes expired
// sessions.
func (s *Service) Run(ctx context.Context) {
	if s.events != nil {
		go s.events.SubscribeSessionChanged(ctx,
			func(id string) { s.cache.drop(id) },
			s.cache.reset)
	}
	s.followWebLogins(ctx)
	sweep := time.NewTicker(max(s.opts.CacheTTL, time.Second) * 10)
	defer sweep.Stop()
	purge := time.NewTicker(s.opts.PurgeInterval)
	defer purge.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			s.cache.sweep(s.opts.Now())
		case <-purge.C:
			s.purge(ctx)
		}
	}
}

// purge deletes expired sessions, and the ledger rows nothing can need any
// more.
func (s *Service) purge(ctx context.Context) {
	now := s.opts.Now()
	n, err := s.sessions.DeleteExpired(ctx, now)
	if err != nil {
		s.log.Warn("deleting expired sessions", "err", err)
	} else if n > 0 {
		s.log.Info("deleted expired sessions", "count", n)
	}
	s.purgeWebLogins(ctx, now)
	if s.ledger == nil {
		return
	}
	n, err = s.ledger.PurgeLedger(ctx, now)
	if err != nil {
		s.log.Warn("purging the session ledger", "err", err)
	} else if n > 0 {
		s.log.Info("purged the session ledger", "rows", n)
	}
}

// forget drops sessions from this node's cache and tells the other nodes.
func (s *Service) forget(ctx context.Context, sessionIDs ...string) {
	if len(sessionIDs) == 0 {
		return
	}
	s.cache.drop(sessionIDs...)
	if s.events == nil {
		return
	}
	if err := s.events.PublishSessionChanged(ctx, sessionIDs...); err != nil {
		// Other nodes still notice within their cache TTL.
		s.log.Warn("publishing session change", "err", err)
	}
}
