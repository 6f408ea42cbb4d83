package redis

import (
	"context"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// A counter is one key under the prefix, and Redis frees it when its window
// ends: the memory of a flood of addresses goes away by itself.
func TestFailureKeyExpiresWithItsWindow(t *testing.T) {
	c := openInternal(t)
	ctx, now := context.Background(), time.Now()
	f := c.Failures()
	if _, err := f.AddFailure(ctx, "ip:2001:db8::/64", now, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	key := c.keys.prefix + "fail:ip:2001:db8::/64"
	ttl, err := c.rdb.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 9*time.Minute || ttl > 10*time.Minute {
		t.Errorf("the counter expires in %v, want its 10-minute window", ttl)
	}
	// A second failure neither extends nor shortens it.
	if _, err := f.AddFailure(ctx, "ip:2001:db8::/64", now, time.Hour); err != nil {
		t.Fatal(err)
	}
	if again, _ := c.rdb.PTTL(ctx, key).Result(); again > ttl || again < ttl-time.Minute {
		t.Errorf("after a second failure the counter expires in %v, was %v", again, ttl)
	}

	if _, err := f.AddFailure(ctx, "short", now, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.rdb.Exists(ctx, c.keys.prefix+"fail:short").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("a counter whose window ended is still in Redis")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Redis down: the counter answers upstream_unavailable (and the throttle,
// seeing an error, lets the request through).
func TestFailureCounterWhenRedisIsDown(t *testing.T) {
	c := openInternal(t)
	c.Close()
	ctx := context.Background()
	f := c.Failures()
	if _, err := f.Failures(ctx, "k", time.Now()); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Errorf("Failures on a closed client: %v", err)
	}
	if _, err := f.AddFailure(ctx, "k", time.Now(), time.Minute); miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Errorf("AddFailure on a closed client: %v", err)
	}
}
