package storetest_test

import (
	"context"
	"testing"

	"github.com/miniauth/miniauth"
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
	events       func(t *testing.T) miniauth.LoginEventStore
	accessTokens func(t *testing.T) miniauth.AccessTokenStore
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

var backends = []backend{
	{
		name:     "sqlite",
		users:    func(t *testing.T) miniauth.UserStore { return openSQLite(t).Users() },
		sessions: func(t *testing.T) miniauth.SessionStore { return openSQLite(t).Sessions() },
		ledger:   func(t *testing.T) miniauth.SessionLedger { return openSQLite(t).Ledger() },
		events:   func(t *testing.T) miniauth.LoginEventStore { return openSQLite(t).LoginEvents() },
	},
	{
		name:     "sqlite-memory",
		users:    func(t *testing.T) miniauth.UserStore { return openSQLiteMemory(t).Users() },
		sessions: func(t *testing.T) miniauth.SessionStore { return openSQLiteMemory(t).Sessions() },
		ledger:   func(t *testing.T) miniauth.SessionLedger { return openSQLiteMemory(t).Ledger() },
		events:   func(t *testing.T) miniauth.LoginEventStore { return openSQLiteMemory(t).LoginEvents() },
	},
	{
		name:     "postgres",
		users:    func(t *testing.T) miniauth.UserStore { return openPostgres(t).Users() },
		sessions: func(t *testing.T) miniauth.SessionStore { return openPostgres(t).Sessions() },
		ledger:   func(t *testing.T) miniauth.SessionLedger { return openPostgres(t).Ledger() },
		events:   func(t *testing.T) miniauth.LoginEventStore { return openPostgres(t).LoginEvents() },
	},
	{
		name:     "mysql",
		users:    func(t *testing.T) miniauth.UserStore { return openMySQL(t).Users() },
		sessions: func(t *testing.T) miniauth.SessionStore { return openMySQL(t).Sessions() },
		ledger:   func(t *testing.T) miniauth.SessionLedger { return openMySQL(t).Ledger() },
		events:   func(t *testing.T) miniauth.LoginEventStore { return openMySQL(t).LoginEvents() },
	},
	// Redis keeps sessions and the shared WeChat access token.
	redisBackend("redis", func(t testing.TB) string { return testserver.Redis(t) }),
	redisBackend("redis-cluster", testserver.RedisClusterURL),
	redisBackend("redis-sentinel", testserver.RedisSentinelURL),
	// The in-process access token store of deployments without Redis.
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
			if b.events != nil {
				t.Run("events", func(t *testing.T) { storetest.TestLoginEventStore(t, b.events) })
			}
			if b.accessTokens != nil {
				t.Run("accesstokens", func(t *testing.T) { storetest.TestAccessTokenStore(t, b.accessTokens) })
			}
		})
	}
}
