package redis_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/testkit"
	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/redis"
)

func openWith(t *testing.T, url string, opts redis.Options) (*redis.Client, string, error) {
	t.Helper()
	logs := &testkit.LogBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	c, err := redis.Open(context.Background(), url, opts)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, logs.String(), err
}

func TestPersistenceCheck(t *testing.T) {
	t.Run("AOF", func(t *testing.T) {
		_, logs, err := openWith(t, testserver.NewRedisWith(t, testserver.RedisConfig{AppendFsync: "everysec"}).URL, redis.Options{})
		if err != nil || logs != "" {
			t.Fatalf("appendonly yes, everysec: %v, logs %q", err, logs)
		}
	})
	t.Run("WithoutAOFRefused", func(t *testing.T) {
		_, _, err := openWith(t, testserver.NewRedisWith(t, testserver.RedisConfig{}).URL, redis.Options{})
		if !errors.Is(err, redis.ErrNoAOF) {
			t.Fatalf("appendonly no: %v, want ErrNoAOF", err)
		}
	})
	t.Run("WithoutAOFAllowed", func(t *testing.T) {
		_, logs, err := openWith(t, testserver.NewRedisWith(t, testserver.RedisConfig{}).URL, redis.Options{AllowWithoutAOF: true})
		if err != nil || !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "WITHOUT APPEND-ONLY") {
			t.Fatalf("appendonly no, allowed: %v, logs %q", err, logs)
		}
	})
	t.Run("FsyncNo", func(t *testing.T) {
		_, logs, err := openWith(t, testserver.NewRedisWith(t, testserver.RedisConfig{AppendFsync: "no"}).URL, redis.Options{})
		if err != nil || !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "appendfsync no") {
			t.Fatalf("appendfsync no: %v, logs %q", err, logs)
		}
	})
	t.Run("ConfigRefused", func(t *testing.T) {
		// A managed Redis that refuses CONFIG: we cannot tell; start, and say so.
		_, logs, err := openWith(t, testserver.NewRedisWith(t, testserver.RedisConfig{NoConfig: true}).URL, redis.Options{})
		if err != nil || !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "CONFIG GET refused") {
			t.Fatalf("CONFIG refused: %v, logs %q", err, logs)
		}
	})
}

// Every new connection reports the server's run_id before its first
// command; a restart reports a new one; a failing report fails the command
// as an outage (503), never as a wrong answer.
func TestInstanceSeen(t *testing.T) {
	rds := testserver.NewRedis(t)
	var mu sync.Mutex
	var seen []string
	var fail error
	c, _, err := openWith(t, rds.URL, redis.Options{InstanceSeen: func(_ context.Context, runID string) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, runID)
		return fail
	}})
	if err != nil {
		t.Fatal(err)
	}
	distinct := func() map[string]bool {
		mu.Lock()
		defer mu.Unlock()
		m := map[string]bool{}
		for _, id := range seen {
			m[id] = true
		}
		return m
	}
	if d := distinct(); len(d) != 1 {
		t.Fatalf("after Open: run_ids %v, want one", d)
	}
	rds.Kill()
	if err := rds.Start(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	fail = miniauth.Errorf(miniauth.EUpstreamUnavailable, "the database is unavailable")
	mu.Unlock()
	ctx := context.Background()
	for range 3 { // the first calls may meet the dead pooled connections
		err = c.Ping(ctx)
	}
	if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Fatalf("a command on a connection whose instance check failed: %v, want upstream_unavailable", err)
	}
	mu.Lock()
	fail = nil
	mu.Unlock()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if d := distinct(); len(d) != 2 {
		t.Fatalf("after a restart: run_ids %v, want two", d)
	}
}
