package miniauth

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Options configures a Service. A setting that can be turned off is off
// at 0 and is taken as given (CacheTTL, RefreshReuseLeeway, Throttle): the
// configuration fills in its Default* constant. Any other zero field takes
// its Default* constant, filled in by NewService.
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
	// Platforms names each app's platform, by appid; an app not in it is
	// WeChat's.
	Platforms map[string]string

	AccessTTL  time.Duration // access token lifetime; 0: DefaultAccessTTL
	RefreshTTL time.Duration // refresh token lifetime; 0: DefaultRefreshTTL

	// CacheTTL is how long a verified session is trusted without asking the
	// store again; 0 (or less) turns the verify cache off (the
	// configuration's default is DefaultCacheTTL). It bounds how long a
	// revocation on another node can go unseen when no SessionEvents carry
	// it. With CompleteEvents a session is trusted as long as an account
	// (ProfileTTL, but never past TouchInterval, so that a session in use
	// is still touched).
	CacheTTL time.Duration
	// ProfileTTL is how long Me trusts an account read from the store when
	// SessionEvents tell every node of every change to it (a change whose
	// publish failed is seen within it); without events it is at most
	// CacheTTL, which then bounds how late another node's change is seen.
	// 0 (or less) turns the cache of accounts off (the configuration's
	// default is DefaultProfileTTL).
	ProfileTTL time.Duration
	// CacheEntries bounds the verify cache (0: DefaultCacheEntries), and
	// as many users are kept for /me and signed tokens' claims.
	CacheEntries int
	// TouchInterval is how stale a session's LastUsedAt may get before a
	// verify writes it again (0: DefaultTouchInterval): writing on every
	// request would put a store write on the hot path.
	TouchInterval time.Duration
	// TouchQueue bounds the sessions whose LastUsedAt waits to be written
	// (0: DefaultTouchQueue); past it a touch is dropped and counted.
	TouchQueue int
	// PurgeInterval is how often expired sessions are deleted; 0:
	// DefaultPurgeInterval.
	PurgeInterval time.Duration
	// RefreshReuseLeeway is how long after its rotation a refresh token
	// presented again is taken for a client that raced itself (401, the
	// session lives on) rather than for a thief (the session ends). 0 (or
	// less) turns it off: every reuse ends the session (the configuration's
	// default is DefaultRefreshReuseLeeway).
	RefreshReuseLeeway time.Duration

	// Ledger, set when sessions live in a store that may lose data
	// (Redis), records every ending durably; sessions read from the store
	// whose tokens were issued before Boundary are checked against it.
	// Nil when the session store is its own truth (SQL).
	Ledger SessionLedger
	// Boundary goes with Ledger; nil checks every session loaded from the
	// store against the ledger.
	Boundary *TrustBoundary
	// Starter, set when the users and their sessions share a database,
	// stores a first login's account and session in one transaction. Nil:
	// the account, then the session.
	Starter SessionStarter

	// Failures counts failed logins and refreshes for Throttle; nil: no
	// throttling. Throttle's zero limits are off (no defaults are filled in:
	// the Default* constants are the configuration's).
	Failures FailureCounter
	Throttle ThrottleLimits
	// Signer, when set, makes access tokens signed JWTs (tokens.format =
	// "jwt"); opaque access tokens issued before keep working. Nil: opaque.
	Signer AccessTokenSigner
	// Sealer, when set with Endings and no Signer, seals each opaque access
	// token's claims after it (sealedtoken.go): verify then answers from
	// the token and the feed of endings, without the session store. Nil:
	// opaque tokens alone.
	Sealer *TokenSealer
	// Endings is the feed of session endings, kept in the SQL database
	// whatever keeps the sessions. Every ending is recorded in it when set,
	// sealing or not, so that nodes that seal learn of every node's.
	Endings SessionEndingStore
	// EndingsInterval is how often a sealing node reads the feed (0:
	// DefaultEndingsInterval); it trusts its copy for three intervals.
	EndingsInterval time.Duration
	// Issuer is the "iss" of signed tokens and of introspection answers.
	Issuer string
	// WebLogin configures scan to log in on the web (weblogin.go).
	WebLogin WebLoginOptions

	// Avatars configures avatar uploads; without a store they answer not_found.
	Avatars AvatarOptions
	// ContentCheck sends every new nickname to WeChat's content check
	// (msg_sec_check) first.
	ContentCheck bool
	// Events records logins, refreshes and logouts; without a store, none.
	Events EventOptions

	Logger *slog.Logger
	Now    func() time.Time
}

// The defaults of Options (and of the configuration's [tokens]).
const (
	DefaultAccessTTL     = 2 * time.Hour
	DefaultRefreshTTL    = 30 * 24 * time.Hour
	DefaultCacheTTL      = 800 * time.Millisecond
	DefaultProfileTTL    = 10 * time.Second
	DefaultCacheEntries  = 100_000
	DefaultTouchInterval = time.Minute
	DefaultPurgeInterval = 10 * time.Minute
	// DefaultRefreshReuseLeeway is as Auth0's reuse interval and Okta's
	// grace period.
	DefaultRefreshReuseLeeway = 10 * time.Second
)

// withDefaults fills in the zero fields that have a default; CacheTTL,
// ProfileTTL and RefreshReuseLeeway are taken as given (0 is off).
func (o Options) withDefaults() Options {
	if o.AccessTTL <= 0 {
		o.AccessTTL = DefaultAccessTTL
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = DefaultRefreshTTL
	}
	if o.CacheEntries <= 0 {
		o.CacheEntries = DefaultCacheEntries
	}
	if o.TouchInterval <= 0 {
		o.TouchInterval = DefaultTouchInterval
	}
	if o.TouchQueue <= 0 {
		o.TouchQueue = DefaultTouchQueue
	}
	if o.PurgeInterval <= 0 {
		o.PurgeInterval = DefaultPurgeInterval
	}
	if o.EndingsInterval <= 0 {
		o.EndingsInterval = DefaultEndingsInterval
	}
	if o.Avatars.StoreTimeout <= 0 {
		o.Avatars.StoreTimeout = DefaultAvatarStoreTimeout
	}
	o.Events = o.Events.withDefaults()
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
	profiles *ttlCache[*User] // for Me; see userChanged
	throttle *throttle
	claimsMu sync.Mutex
	claims   *lru[*AccessClaims] // of signed tokens already checked
	web      *webLogins
	log      *slog.Logger

	loginEvents LoginEventStore // nil: no events recorded
	eventLog    *eventLog       // nil: no events recorded
	touches     *touches

	// Sealed access tokens (sealedtoken.go): nil sealer and feed when off.
	sealer        *TokenSealer
	endings       *endingsFeed
	touchMu       sync.Mutex
	sealedTouched *lru[struct{}] // sessions of sealed tokens touched lately

	// sessionsCheckUsers: see DisabledUserRefuser.
	sessionsCheckUsers bool
	starter            SessionStarter // nil: see Options.Starter
}

// NewService returns a Service over the given stores. events may be nil.
func NewService(users UserStore, sessions SessionStore, events SessionEvents, wx WeChat, opts Options) *Service {
	opts = opts.withDefaults()
	s := &Service{
		sessions: sessions,
		events:   events,
		ledger:   opts.Ledger,
		boundary: opts.Boundary,
		wechat:   wx,
		opts:     opts,
		cache:    newSessionCache(sessionTTL(opts, events), opts.CacheEntries),
		profiles: newTTLCache[*User](profileTTL(opts, events), opts.CacheEntries),
		throttle: newThrottle(opts.Failures, opts.Throttle, opts.Now, opts.Logger),
		claims:   newClaimsCache(opts.CacheEntries),
		web:      newWebLogins(opts.WebLogin),
		log:      opts.Logger,

		loginEvents: opts.Events.Store,
		eventLog:    newEventLog(opts.Events, opts.Logger),

		sessionsCheckUsers: refusesDisabledUsers(sessions),
		starter:            opts.Starter,
	}
	s.touches = newTouches(s.sessions, opts.TouchQueue, opts.Now, opts.Logger)
	if opts.Sealer != nil && opts.Endings != nil && opts.Signer == nil {
		s.sealer = opts.Sealer
		s.endings = newEndingsFeed(opts.Endings, opts.EndingsInterval, opts.Now, opts.Logger)
		s.endings.onRead = s.endingsRead
		s.sealedTouched = newLRU[struct{}](opts.CacheEntries, nil)
	}
	s.users = &changeNotifyingUsers{UserStore: users, svc: s}
	return s
}

// sessionTTL is how long verify trusts a session: see Options.CacheTTL.
func sessionTTL(opts Options, events SessionEvents) time.Duration {
	if _, complete := events.(CompleteEvents); complete && opts.CacheTTL > 0 {
		return max(opts.CacheTTL, min(opts.ProfileTTL, opts.TouchInterval))
	}
	return opts.CacheTTL
}

// profileTTL is how long Me trusts an account: see Options.ProfileTTL.
func profileTTL(opts Options, events SessionEvents) time.Duration {
	if events == nil {
		return min(opts.ProfileTTL, opts.CacheTTL)
	}
	return opts.ProfileTTL
}

// Run does the background work until ctx ends: it follows session change
// events from other nodes, sweeps the verify cache, deletes expired
// sessions and old login events, and writes login events. It returns once
// the events queued before ctx ended are written.
func (s *Service) Run(ctx context.Context) {
	touched := make(chan struct{})
	go func() { s.touches.run(ctx); close(touched) }()
	defer func() { <-touched }()
	if s.endings != nil {
		go s.endings.run(ctx)
	}
	if s.eventLog != nil {
		written := make(chan struct{})
		go func() { s.eventLog.run(ctx); close(written) }()
		defer func() { <-written }()
	}
	if s.events != nil {
		go s.events.SubscribeSessionChanged(ctx, s.changed, func() {
			s.cache.reset()
			s.profiles.reset()
		})
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
			now := s.opts.Now()
			s.cache.sweep(now)
			s.profiles.sweep(now)
		case <-purge.C:
			s.purge(ctx)
		}
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

// userEventPrefix marks a user's id among the session ids that
// SessionEvents carry: a changed user travels the same way as a changed
// session (ids are hex, so the two never meet).
const userEventPrefix = "user:"

// changed hears of a session or user changed on any node.
func (s *Service) changed(id string) {
	if userID, ok := strings.CutPrefix(id, userEventPrefix); ok {
		s.profiles.remove(userID)
		return
	}
	s.cache.drop(id)
}

// userChanged drops users from this node's cache of users and tells the
// other nodes. Every change to a user goes through it (UpdateUser does by
// itself: see changeNotifyingUsers), so that Me never answers a user older
// than the change; without SessionEvents other nodes see it within
// CacheTTL.
func (s *Service) userChanged(ctx context.Context, userIDs ...string) {
	s.profiles.remove(userIDs...)
	if s.events == nil {
		return
	}
	ids := make([]string, len(userIDs))
	for i, id := range userIDs {
		ids[i] = userEventPrefix + id
	}
	if err := s.events.PublishSessionChanged(ctx, ids...); err != nil {
		s.log.Warn("publishing user change", "err", err)
	}
}

// changeNotifyingUsers is the service's UserStore: every update also drops
// the user from the caches of every node, whichever use case made it.
type changeNotifyingUsers struct {
	UserStore
	svc *Service
}

func (u *changeNotifyingUsers) UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error) {
	user, err := u.UserStore.UpdateUser(ctx, id, upd)
	// Even a failed update may have been applied (a timeout after the
	// commit): forget the user either way.
	u.svc.userChanged(ctx, id)
	return user, err
}

// LinkIdentity and UnlinkIdentity change the user's identities: every node
// forgets the user.
func (u *changeNotifyingUsers) LinkIdentity(ctx context.Context, userID string, id Identity) (*User, error) {
	user, err := u.UserStore.LinkIdentity(ctx, userID, id)
	u.svc.userChanged(ctx, userID)
	return user, err
}

func (u *changeNotifyingUsers) UnlinkIdentity(ctx context.Context, userID, appID string) (*Identity, error) {
	gone, err := u.UserStore.UnlinkIdentity(ctx, userID, appID)
	u.svc.userChanged(ctx, userID)
	return gone, err
}

func (u *changeNotifyingUsers) FindOrCreateByIdentity(ctx context.Context, id Identity, nu *User) (*User, bool, error) {
	user, created, err := u.UserStore.FindOrCreateByIdentity(ctx, id, nu)
	u.svc.loggedIn(user, created)
	return user, created, err
}

// loggedIn follows a login's finding of its user, which may fill in a
// unionid the platform reported for the first time. Telling every node at
// each login would cost a publish per login, so only this node's copy is
// checked: the others' expire within the profile TTL (see
// Options.ProfileTTL).
func (s *Service) loggedIn(user *User, created bool) {
	if user == nil || created {
		return
	}
	if cached, ok := s.profiles.get(user.ID, s.opts.Now()); ok && cached.UnionID != user.UnionID {
		s.profiles.remove(user.ID)
	}
}
