package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/miniauth/miniauth"
	goredis "github.com/redis/go-redis/v9"
)

// accessTokenStore shares WeChat access tokens. Per app, in the slot of
// {appID}:
//
//	P wx:{app}:token  hash v (the token), exp, at (ms); expires with the token
//	P wx:{app}:lock   the fence of the current lock holder; expires after the lock's ttl
//	P wx:{app}:fence  counter, incremented by every lock acquisition
//	P wx:{app}:force  sorted set of forced refreshes in the last 24 h, scored by time (ms)
type accessTokenStore struct{ c *Client }

var _ miniauth.AccessTokenStore = (*accessTokenStore)(nil)

const day = 24 * time.Hour

// lockToken takes the lock unless it is held, with a new fence.
// KEYS: lock, fence. ARGV: ttl ms. Returns the fence, or 0 when held.
var lockToken = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local f = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], f, 'PX', ARGV[1])
return f
`)

// saveToken stores the token only if ARGV[1] is still the newest fence, and
// then releases the lock if that fence holds it.
// KEYS: token, lock, fence. ARGV: fence, value, expires ms (0: never),
// fetched ms. Returns 1 when stored, 0 when the fence was lost.
var saveToken = goredis.NewScript(`
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'exp', ARGV[3], 'at', ARGV[4])
if ARGV[3] == '0' then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIREAT', KEYS[1], ARGV[3])
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
`)

// unlockToken releases the lock if the fence holds it.
// KEYS: lock. ARGV: fence.
var unlockToken = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`)

// reserveForce records a forced refresh if the gap and the daily count allow.
// KEYS: force. ARGV: now ms, now-24h ms, min gap ms, per day, member,
// expire-at ms. Returns 1 when reserved.
var reserveForce = goredis.NewScript(`
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local last = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if last[2] and now - tonumber(last[2]) < tonumber(ARGV[3]) then return 0 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
local cur = redis.call('PEXPIRETIME', KEYS[1])
if cur == -1 or (cur >= 0 and cur < tonumber(ARGV[6])) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[6])
end
return 1
`)

func (a *accessTokenStore) LoadAccessToken(ctx context.Context, appID string) (miniauth.AccessToken, error) {
	vals, err := a.c.rdb.HMGet(ctx, a.c.keys.wx(appID, "token"), "v", "exp", "at").Result()
	if err != nil {
		return miniauth.AccessToken{}, wrapErr("load access token", err)
	}
	v, _ := vals[0].(string)
	if v == "" {
		return miniauth.AccessToken{}, nil
	}
	tok := miniauth.AccessToken{Value: v}
	if s, _ := vals[1].(string); s != "" && s != "0" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return miniauth.AccessToken{}, miniauth.WrapError(miniauth.EInternal, "corrupt access token record", err)
		}
		tok.ExpiresAt = fromMS(n)
	}
	if s, _ := vals[2].(string); s != "" && s != "0" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return miniauth.AccessToken{}, miniauth.WrapError(miniauth.EInternal, "corrupt access token record", err)
		}
		tok.FetchedAt = fromMS(n)
	}
	return tok, nil
}

func (a *accessTokenStore) LockAccessToken(ctx context.Context, appID string, ttl time.Duration) (int64, bool, error) {
	if ttl < time.Millisecond {
		return 0, false, miniauth.Errorf(miniauth.EInvalidRequest, "lock ttl must be at least 1ms")
	}
	k := a.c.keys
	f, err := lockToken.Run(ctx, a.c.rdb, []string{k.wx(appID, "lock"), k.wx(appID, "fence")}, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, false, wrapErr("lock access token", err)
	}
	if f == 0 {
		return 0, false, nil
	}
	return f, true, nil
}

func (a *accessTokenStore) SaveAccessToken(ctx context.Context, appID string, fence int64, tok miniauth.AccessToken) error {
	k := a.c.keys
	var exp, at int64
	if !tok.ExpiresAt.IsZero() {
		exp = ms(tok.ExpiresAt)
	}
	if !tok.FetchedAt.IsZero() {
		at = ms(tok.FetchedAt)
	}
	ok, err := saveToken.Run(ctx, a.c.rdb,
		[]string{k.wx(appID, "token"), k.wx(appID, "lock"), k.wx(appID, "fence")},
		strconv.FormatInt(fence, 10), tok.Value, exp, at).Int64()
	if err != nil {
		return wrapErr("save access token", err)
	}
	if ok != 1 {
		return miniauth.ErrFenceLost
	}
	return nil
}

func (a *accessTokenStore) UnlockAccessToken(ctx context.Context, appID string, fence int64) error {
	err := unlockToken.Run(ctx, a.c.rdb, []string{a.c.keys.wx(appID, "lock")}, strconv.FormatInt(fence, 10)).Err()
	if errors.Is(err, goredis.Nil) {
		err = nil
	}
	return wrapErr("unlock access token", err)
}

func (a *accessTokenStore) ReserveForceRefresh(ctx context.Context, appID string, now time.Time, minGap time.Duration, perDay int) (bool, error) {
	if perDay <= 0 {
		return false, nil
	}
	// Two reservations in the same millisecond (possible only with
	// minGap 0) must stay two members.
	var b [6]byte
	rand.Read(b[:])
	n := ms(now)
	member := strconv.FormatInt(n, 10) + "-" + hex.EncodeToString(b[:])
	ok, err := reserveForce.Run(ctx, a.c.rdb, []string{a.c.keys.wx(appID, "force")},
		n, ms(now.Add(-day)), max(minGap.Milliseconds(), 0), perDay, member, ms(now.Add(day))).Int64()
	if err != nil {
		return false, wrapErr("reserve forced refresh", err)
	}
	return ok == 1, nil
}
