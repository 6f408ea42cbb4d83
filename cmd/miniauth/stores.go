package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/httpapi"
	"github.com/miniauth/miniauth/inmem"
	"github.com/miniauth/miniauth/mysql"
	"github.com/miniauth/miniauth/postgres"
	"github.com/miniauth/miniauth/redis"
	"github.com/miniauth/miniauth/sqlite"
	"github.com/miniauth/miniauth/wechat"
)

// database is what each SQL package's DB offers.
type database interface {
	Users() miniauth.UserStore
	Sessions() miniauth.SessionStore
	Starter() miniauth.SessionStarter
	SigningKeys() miniauth.SigningKeyStore
	Ledger() miniauth.SessionLedger
	Endings() miniauth.SessionEndingStore
	Operators() miniauth.OperatorStore
	Directory() miniauth.UserDirectory
	LiveSessions() miniauth.LiveSessionCounter
	WebLogins() miniauth.WebLoginStore
	LoginEvents() miniauth.LoginEventStore
	Ping(ctx context.Context) error
	Close() error
}

// stores are the opened backends, chosen by the configuration: users in the
// SQL database; sessions there too, or in Redis when it is configured, with
// Redis also carrying session events and the shared WeChat access token.
// Every call to them has a deadline (db.timeout, redis.timeout).
type stores struct {
	users        miniauth.UserStore
	sessions     miniauth.SessionStore
	starter      miniauth.SessionStarter     // nil with Redis: users and sessions apart
	events       miniauth.SessionEvents      // Redis's, SQLite's watch of its file, or nil
	ledger       miniauth.SessionLedger      // nil without Redis: SQL sessions are their own truth
	boundary     *miniauth.TrustBoundary     // nil without Redis
	accessTokens miniauth.AccessTokenStore   // in-process without Redis
	failures     miniauth.FailureCounter     // in-process without Redis
	signingKeys  miniauth.SigningKeyStore    // always in the SQL database
	endings      miniauth.SessionEndingStore // always in the SQL database
	console      consoleStores
	loginEvents  miniauth.LoginEventStore // always in the SQL database
	checks       []httpapi.Check
	description  string
	closers      []func() error
	// Scan-to-log-in tickets live where the sessions do; their events are
	// nil without Redis (waiting polls then read the database).
	webLogins      miniauth.WebLoginStore
	webLoginEvents miniauth.WebLoginEvents
}

// openStores opens the configured stores; their metrics go to reg.
func openStores(ctx context.Context, cfg config.Config, logger *slog.Logger, reg prometheus.Registerer) (*stores, error) {
	db, kind, err := openDatabase(ctx, cfg, logger, reg)
	if err != nil {
		return nil, err
	}
	dbDeadline := miniauth.Deadline{Store: "database", Timeout: cfg.DB.Timeout.Duration}
	st := &stores{
		users:        dbDeadline.Users(db.Users()),
		sessions:     dbDeadline.Sessions(db.Sessions()),
		accessTokens: wechat.NewMemoryTokenStore(),
		failures:     inmem.NewFailureCounter(cfg.Throttle.MemoryKeys),
		signingKeys:  dbDeadline.SigningKeys(db.SigningKeys()),
		endings:      dbDeadline.Endings(db.Endings()),
		webLogins:    dbDeadline.WebLogins(db.WebLogins()),
		loginEvents:  dbDeadline.LoginEvents(db.LoginEvents()),
		checks:       []httpapi.Check{{Name: "database", Ping: dbDeadline.Ping(db.Ping)}},
		description:  kind,
		closers:      []func() error{db.Close},
		console:      consoleStoresOf(db, cfg.Redis.URL == ""),
	}
	if cfg.Redis.URL == "" {
		st.starter = dbDeadline.Starter(db.Starter())
		st.description += ", sessions in the database"
		// A SQLite file tells this node when anyone else wrote to it, so
		// that the caches need not forget everything after cache_ttl in
		// case someone did. Looking twice per cache_ttl, the node still
		// sees another's revocation within it, scheduling delays included.
		if file, ok := db.(*sqlite.DB); ok && cfg.Tokens.CacheTTL.Duration > 0 {
			st.events = file.Changes(cfg.Tokens.CacheTTL.Duration/2, logger.With("component", "sqlite"))
		}
		return st, nil
	}
	redis.RouteDriverLogs(logger)
	// Redis may lose acknowledged writes; the ledger in the database keeps
	// what ended ended, and every new Redis connection reports its
	// instance first, so that sessions older than a data loss get checked.
	st.ledger = dbDeadline.Ledger(db.Ledger())
	st.boundary = miniauth.NewTrustBoundary(st.ledger, cfg.Redis.ClockSkew.Duration, nil)
	rc, err := redis.Open(ctx, cfg.Redis.URL, redisOptions(cfg.Redis, logger, st.boundary))
	if errors.Is(err, redis.ErrNoAOF) {
		st.close()
		return nil, fmt.Errorf("%w (or, knowing the cost, set MINIAUTH_REDIS_REQUIRE_AOF=false, redis.require_aof)", err)
	}
	if err != nil {
		st.close()
		if miniauth.ErrorCode(err) == miniauth.EInvalidRequest {
			return nil, fmt.Errorf("redis.url (MINIAUTH_REDIS_URL): %w", err)
		}
		return nil, fmt.Errorf("redis: %w", err)
	}
	redisDeadline := miniauth.Deadline{Store: "redis", Timeout: cfg.Redis.Timeout.Duration}
	st.sessions = redisDeadline.Sessions(rc.Sessions())
	st.events = redisDeadline.Events(rc.Events())
	st.accessTokens = redisDeadline.AccessTokens(rc.AccessTokens())
	st.failures = redisDeadline.Failures(rc.Failures())
	st.webLogins = redisDeadline.WebLogins(rc.WebLogins())
	st.webLoginEvents = redisDeadline.WebLoginEvents(rc.WebLoginEvents())
	st.checks = append(st.checks, httpapi.Check{Name: "redis", Ping: redisDeadline.Ping(rc.Ping)})
	st.closers = append([]func() error{rc.Close}, st.closers...)
	st.description += ", sessions in redis (" + rc.Topology() + ")"
	return st, nil
}

// redisOptions are the redis package's options from the configuration.
func redisOptions(cfg config.Redis, logger *slog.Logger, boundary *miniauth.TrustBoundary) redis.Options {
	return redis.Options{
		Logger:          logger.With("component", "redis"),
		InstanceSeen:    boundary.InstanceSeen,
		AllowWithoutAOF: !cfg.RequireAOF,
		WaitReplicas:    cfg.WaitReplicas,
		WaitTimeout:     cfg.WaitTimeout.Duration,
		Timeout:         cfg.Timeout.Duration,
		ReadBatch:       cfg.ReadBatch,
	}
}

// openDatabase opens the database of db.url; its metrics go to reg, unless
// nil (the commands other than serve).
func openDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger, reg prometheus.Registerer) (database, string, error) {
	raw := cfg.DatabaseURL()
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("db.url: %w", err)
	}
	var db database
	switch u.Scheme {
	case "sqlite":
		path := u.Path
		if u.Host != "" { // sqlite://relative/path.db
			path = filepath.Join(u.Host, u.Path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, "", fmt.Errorf("data dir: %w", err)
		}
		db, err = sqlite.Open(ctx, path, sqlite.Options{
			WriteBatch: cfg.DB.WriteBatch,
			WriteDelay: cfg.DB.WriteDelay.Duration,
			RefreshTTL: cfg.Tokens.RefreshTTL.Duration,
			Logger:     logger.With("component", "sqlite"),
			Registerer: reg,
		})
		return db, "sqlite " + path, wrapOpen("sqlite", err)
	case "postgres", "postgresql":
		db, err = postgres.Open(ctx, raw)
		return db, "postgres " + u.Host, wrapOpen("postgres", err)
	case "mysql":
		mysql.RouteDriverLogs(logger)
		db, err = mysql.Open(ctx, raw)
		return db, "mysql " + u.Host, wrapOpen("mysql", err)
	}
	return nil, "", errors.New("db.url: unsupported scheme " + u.Scheme)
}

func wrapOpen(kind string, err error) error {
	if err != nil {
		return fmt.Errorf("opening %s: %w", kind, err)
	}
	return nil
}

// consoleStores are what the console reads and writes, all in the SQL
// database. Live sessions are counted in the sessions table, so only when
// sessions are kept there; the login history and the charts come from the
// login events, which are always in the database, through the service.
type consoleStores struct {
	operators miniauth.OperatorStore
	directory miniauth.UserDirectory
	live      miniauth.LiveSessionCounter // nil with Redis
}

func consoleStoresOf(db database, sqlSessions bool) consoleStores {
	c := consoleStores{operators: db.Operators(), directory: db.Directory()}
	if sqlSessions {
		c.live = db.LiveSessions()
	}
	return c
}

// close closes every store, Redis first, and returns the first error.
func (s *stores) close() error {
	var first error
	for _, c := range s.closers {
		if err := c(); err != nil && first == nil {
			first = err
		}
	}
	s.closers = nil
	return first
}
