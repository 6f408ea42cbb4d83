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
)

func TestMain(m *testing.M) { testserver.Main(m) }

// closer is what every backend's DB has besides the stores.
type closer interface{ Close() error }

// backend opens a fresh, empty store; users or sessions may be nil when the
// backend keeps only one of them.
type backend struct {
	name     string
	users    func(t *testing.T) miniauth.UserStore
	sessions func(t *testing.T) miniauth.SessionStore
	ledger   func(t *testing.T) miniauth.SessionLedger
	events   func(t *testing.T) miniauth.LoginEventStore
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
	// Redis keeps sessions only.
	{name: "redis", sessions: redisSessions(func(t testing.TB) string { return testserver.Redis(t) })},
	{name: "redis-cluster", sessions: redisSessions(testserver.RedisClusterURL)},
	{name: "redis-sentinel", sessions: redisSessions(testserver.RedisSentinelURL)},
}

// redisSessions opens a session store on the shared Redis deployment at
// url; a fresh key prefix per call keeps each store empty.
func redisSessions(url func(testing.TB) string) func(t *testing.T) miniauth.SessionStore {
	return func(t *testing.T) miniauth.SessionStore {
		prefix := "storetest:" + miniauth.NewID() + ":"
		c, err := redis.Open(context.Background(), url(t), redis.Options{KeyPrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		cleanupClose(t, c)
		return c.Sessions()
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
		})
	}
}
