package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/miniauth/miniauth"
	goredis "github.com/redis/go-redis/v9"
)

// webLoginStore keeps scan-to-log-in tickets. Layout (P is the key prefix):
//
//	P wl:{hash}   hash, every field of the ticket; expires WebLoginRetention
//	              after the ticket does
//
// Every call touches that one key, in one script: safe on Redis Cluster, and
// each transition is a compare and swap by itself.
type webLoginStore struct{ c *Client }

var (
	_ miniauth.WebLoginStore  = (*webLoginStore)(nil)
	_ miniauth.WebLoginEvents = (*webLoginEvents)(nil)
)

// WebLogins returns the store of scan-to-log-in tickets.
func (c *Client) WebLogins() miniauth.WebLoginStore { return &webLoginStore{c: c} }

// WebLoginEvents returns the ticket change events, over pub/sub.
func (c *Client) WebLoginEvents() miniauth.WebLoginEvents { return &webLoginEvents{c.webLoginEvents} }

// webLogin is the hash of a ticket.
func (k keys) webLogin(hash string) string { return k.prefix + "wl:{" + hash + "}" }

// webLoginChannel is the pub/sub channel of ticket changes.
func (k keys) webLoginChannel() string { return k.prefix + "web-login-changed" }

// Hash fields of a ticket.
const (
	wlApp       = "a"
	wlStatus    = "s"
	wlUser      = "u"
	wlUserApp   = "ua"
	wlOpenID    = "o"
	wlCreated   = "c"
	wlExpires   = "e"
	wlDelivered = "d"
)

// createWebLogin writes a ticket unless it exists.
// KEYS: ticket. ARGV: keep-until ms, field/value pairs. Returns 1 or 0.
var createWebLogin = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1
`)

// advanceWebLogin is the compare and swap of a scan, confirm or deny.
// KEYS: ticket. ARGV: at ms, status, user, user app, openid, from statuses...
// Returns {} for no ticket, else {changed 0|1, fields...}.
var advanceWebLogin = goredis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 's', 'e')
if not cur[1] then return {} end
local ok = 0
if tonumber(ARGV[1]) < tonumber(cur[2]) then
  for i = 6, #ARGV do
    if ARGV[i] == cur[1] then ok = 1 break end
  end
end
if ok == 1 then
  redis.call('HSET', KEYS[1], 's', ARGV[2], 'u', ARGV[3], 'ua', ARGV[4], 'o', ARGV[5])
end
return {ok, redis.call('HGETALL', KEYS[1])}
`)

// claimWebLogin marks a confirmed, unexpired ticket's tokens delivered once.
// KEYS: ticket. ARGV: at ms. Returns {} for no ticket, else {claimed 0|1,
// fields...}.
var claimWebLogin = goredis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 's', 'e', 'd')
if not cur[1] then return {} end
local ok = 0
if cur[1] == 'confirmed' and cur[3] ~= '1' and tonumber(ARGV[1]) < tonumber(cur[2]) then
  redis.call('HSET', KEYS[1], 'd', '1')
  ok = 1
end
return {ok, redis.call('HGETALL', KEYS[1])}
`)

func (st *webLoginStore) CreateWebLogin(ctx context.Context, w *miniauth.WebLogin) error {
	if w.Hash == "" {
		return miniauth.Errorf(miniauth.EInvalidRequest, "a new web login needs a ticket hash")
	}
	delivered := "0"
	if w.Delivered {
		delivered = "1"
	}
	keep := ms(w.ExpiresAt.Add(miniauth.WebLoginRetention))
	p := st.c.pipe()
	created := p.eval(ctx, createWebLogin, []string{st.c.keys.webLogin(w.Hash)}, keep,
		wlApp, w.AppID, wlStatus, w.Status, wlUser, w.UserID, wlUserApp, w.UserAppID, wlOpenID, w.OpenID,
		wlCreated, ms(w.CreatedAt), wlExpires, ms(w.ExpiresAt), wlDelivered, delivered)
	if err := p.exec(ctx); err != nil {
		return wrapErr("create web login", err)
	}
	if n, _ := created.cmd.Int(); n != 1 {
		return miniauth.Errorf(miniauth.EInternal, "web login ticket already exists")
	}
	return nil
}

func (st *webLoginStore) WebLogin(ctx context.Context, hash string) (*miniauth.WebLogin, error) {
	m, err := st.c.rdb.HGetAll(ctx, st.c.keys.webLogin(hash)).Result()
	if err != nil {
		return nil, wrapErr("get web login", err)
	}
	if len(m) == 0 {
		return nil, miniauth.Errorf(miniauth.ENotFound, "web login not found")
	}
	return parseWebLogin(hash, m)
}

func (st *webLoginStore) AdvanceWebLogin(ctx context.Context, hash string, from []string, c miniauth.WebLoginChange) (*miniauth.WebLogin, bool, error) {
	args := []any{ms(c.At), c.Status, c.UserID, c.UserAppID, c.OpenID}
	for _, f := range from {
		args = append(args, f)
	}
	return st.cas(ctx, "advance web login", advanceWebLogin, hash, args)
}

func (st *webLoginStore) ClaimWebLogin(ctx context.Context, hash string, at time.Time) (*miniauth.WebLogin, bool, error) {
	return st.cas(ctx, "claim web login", claimWebLogin, hash, []any{ms(at)})
}

// cas runs a transition script and reads its {changed, fields...} answer.
func (st *webLoginStore) cas(ctx context.Context, op string, s *goredis.Script, hash string, args []any) (*miniauth.WebLogin, bool, error) {
	p := st.c.pipe()
	e := p.eval(ctx, s, []string{st.c.keys.webLogin(hash)}, args...)
	if err := p.exec(ctx); err != nil {
		return nil, false, wrapErr(op, err)
	}
	res, err := e.cmd.Slice()
	if err != nil {
		return nil, false, wrapErr(op, err)
	}
	if len(res) < 2 {
		return nil, false, miniauth.Errorf(miniauth.ENotFound, "web login not found")
	}
	changed, _ := res[0].(int64)
	flat, _ := res[1].([]any)
	m := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		m[k] = v
	}
	w, err := parseWebLogin(hash, m)
	if err != nil {
		return nil, false, err
	}
	return w, changed == 1, nil
}

// unclaimWebLogin undoes a claim of an existing ticket. KEYS: ticket.
var unclaimWebLogin = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'd', '0') end
return 1
`)

func (st *webLoginStore) UnclaimWebLogin(ctx context.Context, hash string) error {
	p := st.c.pipe()
	p.eval(ctx, unclaimWebLogin, []string{st.c.keys.webLogin(hash)})
	return wrapErr("unclaim web login", p.exec(ctx))
}

// DeleteExpiredWebLogins returns 0: tickets expire by themselves.
func (st *webLoginStore) DeleteExpiredWebLogins(context.Context, time.Time) (int, error) {
	return 0, nil
}

func parseWebLogin(hash string, m map[string]string) (*miniauth.WebLogin, error) {
	w := &miniauth.WebLogin{
		Hash:      hash,
		AppID:     m[wlApp],
		Status:    m[wlStatus],
		UserID:    m[wlUser],
		UserAppID: m[wlUserApp],
		OpenID:    m[wlOpenID],
		Delivered: m[wlDelivered] == "1",
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{wlCreated, &w.CreatedAt}, {wlExpires, &w.ExpiresAt}} {
		v, err := strconv.ParseInt(m[f.name], 10, 64)
		if err != nil {
			return nil, miniauth.WrapError(miniauth.EInternal, "corrupt web login record",
				fmt.Errorf("redis: web login field %s: %w", f.name, err))
		}
		*f.dst = fromMS(v)
	}
	if w.Status == "" {
		return nil, miniauth.WrapError(miniauth.EInternal, "corrupt web login record", errors.New("redis: web login without status"))
	}
	return w, nil
}

// webLoginEvents announces ticket changes on their own channel, with the
// subscriber of the session events.
type webLoginEvents struct{ e *sessionEvents }

func (w *webLoginEvents) PublishWebLoginChanged(ctx context.Context, hash string) error {
	return w.e.PublishSessionChanged(ctx, hash)
}

func (w *webLoginEvents) SubscribeWebLoginChanged(ctx context.Context, changed func(string), reset func()) {
	w.e.SubscribeSessionChanged(ctx, changed, reset)
}
