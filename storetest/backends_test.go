package storetest_test

import (
	"context"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/inmem"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/mysql"
	"github.com/miniauth/miniauth/postgres"
	"github.com/miniauth/miniauth/redis"
	"github.com/miniauth/miniauth/sqlite"
	"github.com/miniauth/miniauth/storetest"
	"github.com/miniauth/miniauth/wechat"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// closer is what every backend's DB has besides the stores.
type closer interface{ Close() error }

// backend opens a fresh, empty store of each kind it implements; a nil
// field is a kind of store the backend does not keep.
type backend struct {
	name         string
	users        func(t *testing.T) miniauth.UserStore
	sessions     func(t *testing.T) miniauth.SessionStore
	ledger       func(t *testing.T) miniauth.SessionLedger
	endings      func(t *testing.T) miniauth.SessionEndingStore
	events       func(t *testing.T) miniauth.LoginEventStore
	accessTokens func(t *testing.T) miniauth.AccessTokenStore
	signingKeys  func(t *testing.T) miniauth.SigningKeyStore
	webLogins    func(t *testing.T) miniauth.WebLoginStore
	failures     func(t *testing.T) miniauth.FailureCounter
	// userSessions: users and sessions in one database.
	userSessions func(t *testing.T) storetest.UserSessionStores
}

func cleanupClose(t *testing.T, c closer) {
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
}

func openSQLite(t *testing.T) *sqlite.DB {
	db, err := sqlite.Open(context.Background(), t.TempDir()+"/miniauth.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cleanupClose(t, db)
	return db
}

func openSQLiteMemory(t *testing.T) *sqlite.DB {
	db, err := sqlite.Open(context.Background(), ":memory:", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cleanupClose(t, db)
	return db
}

func openPostgres(t *testing.T) *postgres.DB {
	db, err := postgres.Open(context.Background(), testserver.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	cleanupClose(t, db)
	return db
}

func openMySQL(t *testing.T) *mysql.DB {
	db, err := mysql.Open(context.Background(), testserver.MySQL(t))
	if err != nil {
		t.Fatal(err)
	}
	cleanupClose(t, db)
	return db
}

// sqlStores is what sqlite.DB, postgres.DB and mysql.DB open.
type sqlStores interface {
	Users() miniauth.UserStore
	Sessions() miniauth.SessionStore
	Starter() miniauth.SessionStarter
	Ledger() miniauth.SessionLedger
	Endings() miniauth.SessionEndingStore
	LoginEvents() miniauth.LoginEventStore
	SigningKeys() miniauth.SigningKeyStore
	WebLogins() miniauth.WebLoginStore
}

// sqlBackend opens every store on a fresh database from open.
func sqlBackend[DB sqlStores](name string, open func(t *testing.T) DB) backend {
	return backend{
		name:        name,
		users:       func(t *testing.T) miniauth.UserStore { return open(t).Users() },
		sessions:    func(t *testing.T) miniauth.SessionStore { return open(t).Sessions() },
		ledger:      func(t *testing.T) miniauth.SessionLedger { return open(t).Ledger() },
		endings:     func(t *testing.T) miniauth.SessionEndingStore { return open(t).Endings() },
		events:      func(t *testing.T) miniauth.LoginEventStore { return open(t).LoginEvents() },
		signingKeys: func(t *testing.T) miniauth.SigningKeyStore { return open(t).SigningKeys() },
		webLogins:   func(t *testing.T) miniauth.WebLoginStore { return open(t).WebLogins() },
		userSessions: func(t *testing.T) storetest.UserSessionStores {
			db := open(t)
			return storetest.UserSessionStores{Users: db.Users(), Sessions: db.Sessions(), Starter: db.Starter()}
		},
	}
}

var backends = []backend{
	sqlBackend("sqlite", openSQLite),
	sqlBackend("sqlite-memory", openSQLiteMemory),
	sqlBackend("postgres", openPostgres),
	sqlBackend("mysql", openMySQL),
	// Redis keeps sessions, tickets, the shared WeChat access token and the
	// login throttle's failure counts.
	redisBackend("redis", func(t testing.TB) string { return testserver.Redis(t) }),
	redisBackend("redis-cluster", testserver.RedisClusterURL),
	redisBackend("redis-sentinel", testserver.RedisSentinelURL),
	// In memory: the stores of tests, and the throttle and WeChat access
	// token of deployments without Redis.
	{
		name:        "inmem",
		users:       func(t *testing.T) miniauth.UserStore { return inmem.NewUsers() },
		sessions:    func(t *testing.T) miniauth.SessionStore { return inmem.NewSessions() },
		ledger:      func(t *testing.T) miniauth.SessionLedger { return inmem.NewLedger() },
		events:      func(t *testing.T) miniauth.LoginEventStore { return inmem.NewLoginEvents() },
		signingKeys: func(t *testing.T) miniauth.SigningKeyStore { return inmem.NewSigningKeys() },
		webLogins:   func(t *testing.T) miniauth.WebLoginStore { return inmem.NewWebLogins() },
		failures:    func(t *testing.T) miniauth.FailureCounter { return inmem.NewFailureCounter(0) },
	},
	{name: "wechat-memory", accessTokens: func(t *testing.T) miniauth.AccessTokenStore { return wechat.NewMemoryTokenStore() }},
}

// redisBackend opens stores on the shared Redis deployment at url; a fresh
// key prefix per call keeps each store empty.
func redisBackend(name string, url func(testing.TB) string) backend {
	open := func(t *testing.T) *redis.Client {
		prefix := "storetest:" + miniauth.NewID() + ":"
		c, err := redis.Open(context.Background(), url(t), redis.Options{KeyPrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		cleanupClose(t, c)
		return c
	}
	return backend{
		name:         name,
		sessions:     func(t *testing.T) miniauth.SessionStore { return open(t).Sessions() },
		accessTokens: func(t *testing.T) miniauth.AccessTokenStore { return open(t).AccessTokens() },
		webLogins:    func(t *testing.T) miniauth.WebLoginStore { return open(t).WebLogins() },
		failures:     func(t *testing.T) miniauth.FailureCounter { return open(t).Failures() },
	}
}

func TestBackends(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			if b.users != nil {
				t.Run("users", func(t *testing.T) { storetest.TestUserStore(t, b.users) })
			}
			if b.sessions != nil {
				t.Run("sessions", func(t *testing.T) { storetest.TestSessionStore(t, b.sessions) })
			}
			if b.ledger != nil {
				t.Run("ledger", func(t *testing.T) { storetest.TestSessionLedger(t, b.ledger) })
			}
			if b.endings != nil {
				t.Run("endings", func(t *testing.T) { storetest.TestSessionEndingStore(t, b.endings) })
			}
			if b.events != nil {
				t.Run("events", func(t *testing.T) { storetest.TestLoginEventStore(t, b.events) })
			}
			if b.accessTokens != nil {
				t.Run("accesstokens", func(t *testing.T) { storetest.TestAccessTokenStore(t, b.accessTokens) })
			}
			if b.signingKeys != nil {
				t.Run("signingkeys", func(t *testing.T) { storetest.TestSigningKeyStore(t, b.signingKeys) })
			}
			if b.webLogins != nil {
				t.Run("weblogins", func(t *testing.T) { storetest.TestWebLoginStore(t, b.webLogins) })
			}
			if b.failures != nil {
				t.Run("failures", func(t *testing.T) { storetest.TestFailureCounter(t, b.failures) })
			}
			if b.userSessions != nil {
				t.Run("refuser", func(t *testing.T) { storetest.TestDisabledUserRefuser(t, b.userSessions) })
				t.Run("starter", func(t *testing.T) { storetest.TestSessionStarter(t, b.userSessions) })
			}
		})
	}
}
