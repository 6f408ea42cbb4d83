package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/miniauth/miniauth"
	goredis "github.com/redis/go-redis/v9"
)

// sessionStore keeps sessions in Redis. Layout (P is the key prefix):
//
//	P s:{sid}        hash, every field of the session; expires at RefreshExpiresAt
//	P s:{sid}:rot    hash, rotated refresh hash -> when it was rotated (ms), for
//	                 the reuse leeway; same slot, same expiry
//	P s:{sid}:used   set of rotated refresh hashes, as written before the
//	                 times were kept: still read (a reuse long ago) and deleted
//	P at:<hash>      -> sid; expires at AccessExpiresAt
//	P rt:<hash>      -> sid, for the current and the rotated refresh hashes;
//	                 expires at RefreshExpiresAt
//	P u:{uid}        sorted set of the user's session ids scored by creation (ms);
//	                 expires with the user's longest-lived session
//
// The pointers live in other slots than the session and cannot be written in
// the same atomic step; every read through a pointer checks that the session
// still carries that hash, so a pointer left behind by a crash or a lost race
// leads to ENotFound, never to a wrong session.
type sessionStore struct {
	c *Client
	// reads batches lookups by access token; nil on a cluster, or when
	// Options.ReadBatch is 1.
	reads *accessReads
}

var _ miniauth.SessionStore = (*sessionStore)(nil)

// Hash field names of a session.
const (
	fID          = "id"
	fUserID      = "uid"
	fAppID       = "app"
	fOpenID      = "oid"
	fSessionKey  = "sk"
	fAccessHash  = "ah"
	fRefreshHash = "rh"
	fUserAgent   = "ua"
	fIP          = "ip"
	fCreated     = "ct"
	fLastUsed    = "lu"
	fAccessExp   = "aexp"
	fRefreshExp  = "rexp"
	fIssued      = "it" // when the current tokens were issued (ms)
)

func (st *sessionStore) CreateSession(ctx context.Context, s *miniauth.Session) error {
	if s.ID == "" || s.UserID == "" || s.AccessHash == "" || s.RefreshHash == "" {
		return miniauth.Errorf(miniauth.EInvalidRequest, "session needs an id, a user id and token hashes")
	}
	k := st.c.keys
	rexp := ms(s.RefreshExpiresAt)
	args := []any{rexp, s.AccessHash}
	args = append(args, sessionFields(s)...)

	// Pointers first: should the session write fail, they point at nothing
	// and expire; the other way round, a session could exist that no token
	// reaches.
	p := st.c.pipe()
	p.p.Do(ctx, "set", k.access(s.AccessHash), s.ID, "pxat", ms(s.AccessExpiresAt))
	p.p.Do(ctx, "set", k.refresh(s.RefreshHash), s.ID, "pxat", rexp)
	created := p.eval(ctx, createSession, []string{k.session(s.ID)}, args...)
	p.eval(ctx, addUserSession, []string{k.user(s.UserID)}, ms(s.CreatedAt), s.ID, rexp)
	if err := p.exec(ctx); err != nil {
		return wrapErr("create session", err)
	}
	if n, _ := created.cmd.Int(); n != 1 {
		return miniauth.Errorf(miniauth.EInternal, "session id already exists")
	}
	return nil
}

func (st *sessionStore) SessionByAccessHash(ctx context.Context, accessHash string) (*miniauth.Session, error) {
	s, err := st.sessionByAccess(ctx, accessHash)
	if err != nil {
		return nil, err
	}
	if s == nil || s.AccessHash != accessHash {
		// Revoked, expired or rotated since the pointer was written.
		return nil, miniauth.Errorf(miniauth.ENotFound, "session not found")
	}
	return s, nil
}

// sessionByAccess follows the access pointer to the session's fields: in
// one round trip (a script) on one server or Sentinel, in two on a cluster,
// where the pointer and the session live in different slots. Nil when the
// pointer or the session is gone.
func (st *sessionStore) sessionByAccess(ctx context.Context, accessHash string) (*miniauth.Session, error) {
	k := st.c.keys
	if st.reads != nil {
		return st.reads.get(ctx, accessHash)
	}
	if st.c.topology != topologyCluster {
		before, after := k.sessionAffixes()
		res, err := sessionByAccess.Run(ctx, st.c.rdb, []string{k.access(accessHash)}, before, after).Slice()
		if errors.Is(err, goredis.Nil) {
			return nil, miniauth.Errorf(miniauth.ENotFound, "session not found")
		} else if err != nil {
			return nil, wrapErr("get session", err)
		}
		return parseSessionReply(res)
	}
	id, err := st.c.rdb.Get(ctx, k.access(accessHash)).Result()
	if errors.Is(err, goredis.Nil) {
		return nil, miniauth.Errorf(miniauth.ENotFound, "session not found")
	} else if err != nil {
		return nil, wrapErr("get access pointer", err)
	}
	m, err := st.c.rdb.HGetAll(ctx, k.session(id)).Result()
	if err != nil {
		return nil, wrapErr("get session", err)
	}
	return parseSession(m)
}

func (st *sessionStore) RotateRefresh(ctx context.Context, refreshHash string, r miniauth.Rotation) (*miniauth.Session, error) {
	notFound := miniauth.Errorf(miniauth.ENotFound, "refresh token not found")
	id, err := st.c.rdb.Get(ctx, st.c.keys.refresh(refreshHash)).Result()
	if errors.Is(err, goredis.Nil) {
		return nil, notFound
	} else if err != nil {
		return nil, wrapErr("get refresh pointer", err)
	}
	res, err := st.swapRefresh(ctx, id, refreshHash, r)
	if err != nil {
		return nil, err
	}
	outcome, _ := res[0].(int64)
	if outcome != 1 {
		st.dropLostPointers(ctx, r)
	}
	if outcome == 0 {
		return nil, notFound
	}
	s, err := parseSessionReply(res)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, notFound
	}
	if outcome == 2 {
		reuse := &miniauth.RefreshReuse{}
		if at, err := strconv.ParseInt(fmt.Sprint(res[1]), 10, 64); err == nil {
			reuse.RotatedAt = fromMS(at)
		}
		return s, reuse
	}
	st.tidyAfterRotation(ctx, refreshHash, r, s, res)
	return s, nil
}

// swapRefresh writes the new token pointers and swaps the session's hashes
// in one round trip, and returns the script's answer: outcome first (0 not
// found, 1 rotated, 2 a reuse), then the old access hash or the time of the
// earlier rotation, then the session.
//
// The new pointers are written before the swap, in the same round trip:
// once the swap succeeds the new tokens must work, even if we cannot reach
// Redis again afterwards (the client would otherwise retry with the old
// refresh token and be treated as a thief). A loser's pointers point at a
// session that does not carry their hashes: harmless, and deleted by
// dropLostPointers.
func (st *sessionStore) swapRefresh(ctx context.Context, id, refreshHash string, r miniauth.Rotation) ([]any, error) {
	k := st.c.keys
	aexp, rexp, at := ms(r.AccessExpiresAt), ms(r.RefreshExpiresAt), ms(r.At)
	p := st.c.pipe()
	p.p.Do(ctx, "set", k.access(r.AccessHash), id, "pxat", aexp)
	p.p.Do(ctx, "set", k.refresh(r.RefreshHash), id, "pxat", rexp)
	swap := p.eval(ctx, rotateRefresh, []string{k.session(id), k.rotated(id), k.used(id)},
		refreshHash, r.AccessHash, r.RefreshHash, aexp, rexp, at)
	if err := p.exec(ctx); err != nil {
		return nil, wrapErr("rotate refresh", err)
	}
	res, err := swap.cmd.Slice()
	if err != nil {
		return nil, wrapErr("rotate refresh", err)
	}
	if len(res) == 0 {
		return nil, wrapErr("rotate refresh", errors.New("empty script answer"))
	}
	return res, nil
}

// dropLostPointers deletes the pointers of a rotation that lost: they lead
// nowhere. Best effort, they are ignored anyway and expire by themselves.
func (st *sessionStore) dropLostPointers(ctx context.Context, r miniauth.Rotation) {
	p := st.c.rdb.Pipeline()
	p.Del(ctx, st.c.keys.access(r.AccessHash))
	p.Del(ctx, st.c.keys.refresh(r.RefreshHash))
	p.Exec(ctx)
}

// tidyAfterRotation deletes the old access pointer and keeps the rotated
// refresh pointer, now until the new refresh expiry, so that its reuse is
// recognised. (Pointers of tokens rotated earlier keep the expiry they got
// then, which is at least their own expiry: presenting one after that is
// an expired token, ENotFound, not a reuse.) Failures leave only pointers
// that checks already ignore, so they do not fail the rotation.
func (st *sessionStore) tidyAfterRotation(ctx context.Context, refreshHash string, r miniauth.Rotation, s *miniauth.Session, res []any) {
	k := st.c.keys
	cleanup := st.c.pipe()
	if old, _ := res[1].(string); old != "" && old != r.AccessHash {
		cleanup.p.Del(ctx, k.access(old))
	}
	cleanup.p.PExpireAt(ctx, k.refresh(refreshHash), r.RefreshExpiresAt)
	cleanup.eval(ctx, extendUserSessions, []string{k.user(s.UserID)}, ms(r.RefreshExpiresAt))
	if err := cleanup.exec(ctx); err != nil {
		st.c.log.LogAttrs(ctx, slog.LevelWarn, "redis: tidying up after a refresh failed", errAttr(err))
	}
}

func (st *sessionStore) RevokeSession(ctx context.Context, id string) error {
	_, err := st.revoke(ctx, []string{id})
	return err
}

// revoke deletes the sessions and their pointers in two round trips and
// returns the ids of those that existed.
func (st *sessionStore) revoke(ctx context.Context, ids []string) ([]string, error) {
	// An empty id names no session, and its keys ("s:{}", "s:{}:used")
	// would not even share a slot.
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" })
	if len(ids) == 0 {
		return nil, nil
	}
	k := st.c.keys
	p := st.c.pipe()
	calls := make([]*evalCall, len(ids))
	for i, id := range ids {
		calls[i] = p.eval(ctx, revokeSession, []string{k.session(id), k.rotated(id), k.used(id)})
	}
	if err := p.exec(ctx); err != nil {
		return nil, wrapErr("revoke session", err)
	}

	var gone []string
	tidy := st.c.pipe()
	for i, call := range calls {
		res, err := call.cmd.Slice()
		if err != nil {
			return nil, wrapErr("revoke session", err)
		}
		if len(res) < 4 {
			continue // no such session
		}
		gone = append(gone, ids[i])
		uid, _ := res[0].(string)
		if h, _ := res[1].(string); h != "" {
			tidy.p.Del(ctx, k.access(h))
		}
		if h, _ := res[2].(string); h != "" {
			tidy.p.Del(ctx, k.refresh(h))
		}
		used, _ := res[3].([]any)
		for _, h := range used {
			if h, _ := h.(string); h != "" {
				tidy.p.Del(ctx, k.refresh(h))
			}
		}
		tidy.p.ZRem(ctx, k.user(uid), ids[i])
	}
	if len(gone) > 0 {
		// The sessions are gone; what is left points at nothing.
		if err := tidy.exec(ctx); err != nil {
			return gone, wrapErr("revoke session pointers", err)
		}
	}
	return gone, nil
}

func (st *sessionStore) RevokeUserSessions(ctx context.Context, userID string) ([]string, error) {
	ids, err := st.c.rdb.ZRange(ctx, st.c.keys.user(userID), 0, -1).Result()
	if err != nil {
		return nil, wrapErr("list user sessions", err)
	}
	gone, err := st.revoke(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(ids) > len(gone) {
		// Members whose session had expired.
		members := make([]any, len(ids))
		for i, id := range ids {
			members[i] = id
		}
		if err := st.c.rdb.ZRem(ctx, st.c.keys.user(userID), members...).Err(); err != nil {
			return nil, wrapErr("prune user sessions", err)
		}
	}
	if gone == nil {
		gone = []string{}
	}
	return gone, nil
}

// UserSessions ignores now: Redis expires sessions by itself.
func (st *sessionStore) UserSessions(ctx context.Context, userID string, _ time.Time) ([]*miniauth.Session, error) {
	k := st.c.keys
	ids, err := st.c.rdb.ZRevRange(ctx, k.user(userID), 0, -1).Result()
	if err != nil {
		return nil, wrapErr("list user sessions", err)
	}
	if len(ids) == 0 {
		return []*miniauth.Session{}, nil
	}
	p := st.c.rdb.Pipeline()
	cmds := make([]*goredis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = p.HGetAll(ctx, k.session(id))
	}
	if _, err := p.Exec(ctx); err != nil {
		return nil, wrapErr("get user sessions", err)
	}
	out := make([]*miniauth.Session, 0, len(ids))
	var dead []any
	for i, cmd := range cmds {
		s, err := parseSession(cmd.Val())
		if err != nil {
			return nil, err
		}
		if s == nil {
			dead = append(dead, ids[i]) // expired: prune lazily
			continue
		}
		out = append(out, s)
	}
	if len(dead) > 0 {
		if err := st.c.rdb.ZRem(ctx, k.user(userID), dead...).Err(); err != nil {
			st.c.log.LogAttrs(ctx, slog.LevelWarn, "redis: pruning expired sessions failed", errAttr(err))
		}
	}
	return out, nil
}

// TouchSessions runs touchSession for every session, a pipeline per
// thousand (which go-redis splits by node on a cluster).
func (st *sessionStore) TouchSessions(ctx context.Context, at time.Time, ids []string) error {
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), touchPipeline)]
		ids = ids[len(chunk):]
		p := st.c.pipe()
		for _, id := range chunk {
			if id != "" {
				p.eval(ctx, touchSession, []string{st.c.keys.session(id)}, ms(at))
			}
		}
		if len(p.evals) == 0 {
			continue
		}
		if err := p.exec(ctx); err != nil {
			return wrapErr("touch sessions", err)
		}
	}
	return nil
}

// touchPipeline is the most touches one pipeline carries.
const touchPipeline = 1_000

// DeleteExpired does nothing: Redis expires sessions by itself.
func (st *sessionStore) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	return 0, nil
}

func (st *sessionStore) Ping(ctx context.Context) error { return st.c.Ping(ctx) }
