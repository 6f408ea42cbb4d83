package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts of the session store (session.go), each running on the
// keys of one slot.

// createSession writes the session hash unless the id is taken. Running it
// again with the same session (a retried pipeline) succeeds.
// KEYS: session. ARGV: expire-at ms, access hash, field/value pairs.
var createSession = goredis.NewScript(`
local ah = redis.call('HGET', KEYS[1], 'ah')
if ah then
  if ah == ARGV[2] then return 1 end
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1
`)

// addUserSession adds a session id to the user's set and makes the set live
// at least as long as that session.
// KEYS: user set. ARGV: score (created ms), session id, expire-at ms.
var addUserSession = goredis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local cur = redis.call('PEXPIRETIME', KEYS[1])
if cur == -1 or cur < tonumber(ARGV[3]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[3])
end
return 1
`)

// extendUserSessions makes the user's set live at least until ARGV[1].
// KEYS: user set. ARGV: expire-at ms.
var extendUserSessions = goredis.NewScript(`
local cur = redis.call('PEXPIRETIME', KEYS[1])
if cur == -1 or (cur >= 0 and cur < tonumber(ARGV[1])) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[1])
end
return 1
`)

// rotateRefresh is the compare-and-swap of a refresh: only the caller that
// presents the session's current refresh hash wins; a hash found among the
// rotated ones is reuse.
// KEYS: session, rotated, used (legacy). ARGV: old refresh hash, new access
// hash, new refresh hash, access expiry ms, refresh expiry ms, at ms.
// Returns {1, old access hash, fields...}, {2, rotated-at ms, fields...} on
// reuse, {0}.
var rotateRefresh = goredis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'rh', 'rexp', 'ah')
if not cur[1] then return {0} end
if cur[1] ~= ARGV[1] then
  local at = redis.call('HGET', KEYS[2], ARGV[1])
  if at then return {2, at, redis.call('HGETALL', KEYS[1])} end
  if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then
    return {2, '', redis.call('HGETALL', KEYS[1])}
  end
  return {0}
end
if tonumber(cur[2]) <= tonumber(ARGV[6]) then return {0} end
redis.call('HSET', KEYS[1], 'ah', ARGV[2], 'rh', ARGV[3], 'aexp', ARGV[4], 'rexp', ARGV[5], 'lu', ARGV[6], 'it', ARGV[6])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[6])
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
redis.call('PEXPIREAT', KEYS[2], ARGV[5])
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIREAT', KEYS[3], ARGV[5]) end
return {1, cur[3] or '', redis.call('HGETALL', KEYS[1])}
`)

// revokeSession deletes the session and its rotated hashes and returns
// what the caller needs to delete the pointers: {user id, access hash,
// refresh hash, {rotated hashes}}, or {} when there was no session.
// KEYS: session, rotated, used (legacy).
var revokeSession = goredis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'uid', 'ah', 'rh')
local used = redis.call('HKEYS', KEYS[2])
for _, h in ipairs(redis.call('SMEMBERS', KEYS[3])) do table.insert(used, h) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if not f[1] then return {} end
return {f[1], f[2] or '', f[3] or '', used}
`)

// sessionByAccess reads the session an access pointer names, in one round
// trip. The session's key is built from the pointer's value, so it is not
// declared in KEYS: only for one server or Sentinel, never a cluster.
// KEYS: access pointer. ARGV: the session key before and after the id.
// Returns nil, or {0, id, {field, value, ...}} as parseSessionReply reads.
var sessionByAccess = goredis.NewScript(`
local id = redis.call('GET', KEYS[1])
if not id then return false end
return {0, id, redis.call('HGETALL', ARGV[1] .. id .. ARGV[2])}
`)

// touchSession moves the last-used time of an existing session forward (a
// plain HSET would create a stub of a revoked one, and could go backwards
// when two nodes' batches cross).
// KEYS: session. ARGV: at ms.
var touchSession = goredis.NewScript(`
local lu = redis.call('HGET', KEYS[1], 'lu')
if lu and tonumber(lu) < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'lu', ARGV[1])
end
return 0
`)
