package storetest_test

import (
	"context"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/redis"
	"github.com/miniauth/miniauth/storetest"
)

// Tickets of scan to log in live where the sessions are: in the SQL
// database, or in Redis.
var webLoginBackends = []struct {
	name string
	open func(t *testing.T) miniauth.WebLoginStore
}{
	{"sqlite", func(t *testing.T) miniauth.WebLoginStore { return openSQLite(t).WebLogins() }},
	{"sqlite-memory", func(t *testing.T) miniauth.WebLoginStore { return openSQLiteMemory(t).WebLogins() }},
	{"postgres", func(t *testing.T) miniauth.WebLoginStore { return openPostgres(t).WebLogins() }},
	{"mysql", func(t *testing.T) miniauth.WebLoginStore { return openMySQL(t).WebLogins() }},
	{"redis", redisWebLogins(func(t testing.TB) string { return testserver.Redis(t) })},
	{"redis-cluster", redisWebLogins(testserver.RedisClusterURL)},
}

func redisWebLogins(url func(testing.TB) string) func(t *testing.T) miniauth.WebLoginStore {
	return func(t *testing.T) miniauth.WebLoginStore {
		c, err := redis.Open(context.Background(), url(t), redis.Options{KeyPrefix: "storetest:" + miniauth.NewID() + ":"})
		if err != nil {
			t.Fatal(err)
		}
		cleanupClose(t, c)
		return c.WebLogins()
	}
}

func TestWebLoginBackends(t *testing.T) {
	for _, b := range webLoginBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			storetest.TestWebLoginStore(t, b.open)
		})
	}
}
