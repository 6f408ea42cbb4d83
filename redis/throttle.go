package redis

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/miniauth/miniauth"
	goredis "github.com/redis/go-redis/v9"
)

// failureCounter counts failures for the login throttle, shared by every
// node. Layout (P is the key prefix):
//
//	P fail:<key>   hash {n: failures, e: window end, Unix ms}; expires with
//	               its window, by Redis's clock
//
// Each call touches one key, so it is safe on Redis Cluster whatever the key
// holds. The window's end is the caller's clock (the service's one clock per
// request); the key's expiry only frees the memory. Nodes whose clocks
// differ by a second move a ten-minute window by that second, no more.
type failureCounter struct{ c *Client }

var _ miniauth.FailureCounter = (*failureCounter)(nil)

// Failures returns the failure counter of the login throttle.
func (c *Client) Failures() miniauth.FailureCounter { return &failureCounter{c: c} }

// failures is the counter hash of a throttle key.
func (k keys) failures(key string) string { return k.prefix + "fail:" + key }

// Hash fields of a counter.
const (
	fFailures  = "n"
	fWindowEnd = "e"
)

// addFailure counts one failure, opening a window when none runs at now.
// KEYS: counter. ARGV: now ms, window ms. Returns {count, window end ms}.
var addFailure = goredis.NewScript(`
local now = tonumber(ARGV[1])
local ends = tonumber(redis.call('HGET', KEYS[1], 'e'))
if ends == nil or ends <= now then
  ends = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'n', 1, 'e', ends)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, ends}
end
return {redis.call('HINCRBY', KEYS[1], 'n', 1), ends}
`)

func (f *failureCounter) Failures(ctx context.Context, key string, now time.Time) (miniauth.FailureWindow, error) {
	vals, err := f.c.rdb.HMGet(ctx, f.c.keys.failures(key), fFailures, fWindowEnd).Result()
	if err != nil {
		return miniauth.FailureWindow{}, wrapErr("failures", err)
	}
	count, ends := hashInt(vals[0]), hashInt(vals[1])
	if count == 0 || ends <= ms(now) {
		return miniauth.FailureWindow{}, nil
	}
	return miniauth.FailureWindow{Count: int(count), Ends: fromMS(ends)}, nil
}

func (f *failureCounter) AddFailure(ctx context.Context, key string, now time.Time, window time.Duration) (miniauth.FailureWindow, error) {
	windowMS := max(window.Milliseconds(), 1)
	res, err := addFailure.Run(ctx, f.c.rdb, []string{f.c.keys.failures(key)}, ms(now), windowMS).Int64Slice()
	if err != nil {
		return miniauth.FailureWindow{}, wrapErr("add failure", err)
	}
	if len(res) != 2 {
		return miniauth.FailureWindow{}, wrapErr("add failure", errors.New("unexpected script answer"))
	}
	return miniauth.FailureWindow{Count: int(res[0]), Ends: fromMS(res[1])}, nil
}

// hashInt reads a hash field that HMGET returned: nil when missing.
func hashInt(v any) int64 {
	s, ok := v.(string)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
