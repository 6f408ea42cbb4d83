package main

import (
	"log/slog"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
)

// Every redis.* setting reaches the Redis client's options.
func TestRedisOptionsCarryTheConfiguration(t *testing.T) {
	cfg, _, err := config.Load("", []string{
		"MINIAUTH_REDIS_URL=redis://127.0.0.1:6379/0",
		"MINIAUTH_REDIS_REQUIRE_AOF=false",
		"MINIAUTH_REDIS_WAIT_REPLICAS=2",
		"MINIAUTH_REDIS_WAIT_TIMEOUT=700ms",
		"MINIAUTH_REDIS_TIMEOUT=3s",
		"MINIAUTH_REDIS_READ_BATCH=7",
	})
	if err != nil {
		t.Fatal(err)
	}
	boundary := miniauth.NewTrustBoundary(nil, time.Second, nil)
	o := redisOptions(cfg.Redis, slog.Default(), boundary)
	if !o.AllowWithoutAOF || o.WaitReplicas != 2 || o.WaitTimeout != 700*time.Millisecond ||
		o.Timeout != 3*time.Second || o.ReadBatch != 7 || o.InstanceSeen == nil || o.Logger == nil {
		t.Fatalf("redis options %+v from %+v", o, cfg.Redis)
	}
}
