package miniauth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Default per-call deadlines of the stores (db.timeout and redis.timeout).
// A healthy store answers in milliseconds; a call that takes seconds is a
// store that is stalled (a paused server, a partition that drops packets),
// and waiting longer only piles requests up behind it.
const (
	DefaultDBTimeout    = 2 * time.Second
	DefaultRedisTimeout = 2 * time.Second
)

// purgeTimeout bounds DeleteExpired. It runs in the background, off every
// request, and may have a backlog to delete after downtime: a request's
// deadline would cancel it every time and the backlog would never go.
const purgeTimeout = time.Minute

// Deadline gives every call to a store a deadline of its own. A stalled store
// would otherwise hold each request that reaches it for as long as the
// kernel keeps the connection open, and the connection pools fill up
// behind it. Past the deadline the call answers EUpstreamUnavailable (503)
// and gives its connection up; the next call tries again, so a node
// recovers by itself as soon as the store answers again.
//
// It is also the one place that reads a context error of a store call: the
// drivers answer a context that ended in many ways (their own timeouts,
// closed connections, the context's error), and only the context tells
// whether our deadline passed or the caller went away (ECanceled: no
// upstream failure, and no fault of ours).
type Deadline struct {
	Store   string        // names the store in messages: "database", "redis"
	Timeout time.Duration // per call; 0 or less: DefaultDBTimeout
}

func (d Deadline) timeout() time.Duration {
	if d.Timeout <= 0 {
		return DefaultDBTimeout
	}
	return d.Timeout
}

// Users returns s with every call bounded by d.
func (d Deadline) Users(s UserStore) UserStore { return deadlineUsers{d, s} }

// Sessions returns s with every call bounded by d; DeleteExpired, which runs
// in the background, gets at least a minute.
func (d Deadline) Sessions(s SessionStore) SessionStore { return deadlineSessions{d, s} }

// Events returns e with every publication bounded by d. A subscription lives
// until its context ends; it watches its connection's health by itself.
func (d Deadline) Events(e SessionEvents) SessionEvents { return deadlineEvents{d, e} }

// AccessTokens returns s with every call bounded by d.
func (d Deadline) AccessTokens(s AccessTokenStore) AccessTokenStore { return deadlineTokens{d, s} }

// Ping returns ping bounded by d, for readiness checks.
func (d Deadline) Ping(ping func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error { return d.run(ctx, d.timeout(), "ping", ping) }
}

// run calls fn with a context that ends after timeout and judges its error.
func (d Deadline) run(ctx context.Context, timeout time.Duration, op string, fn func(context.Context) error) error {
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := fn(callCtx)
	if err == nil || callCtx.Err() == nil || answered(err) {
		return err
	}
	cause := fmt.Errorf("%s %s: %w", d.Store, op, err)
	if errors.Is(ctx.Err(), context.Canceled) {
		return WrapError(ECanceled, "the request was canceled", cause)
	}
	msg := fmt.Sprintf("the %s did not answer within %v; try again", d.Store, timeout)
	if ctx.Err() != nil {
		// A shorter deadline of the caller's passed first: the store
		// did not answer in the time it had either.
		msg = fmt.Sprintf("the %s did not answer in time; try again", d.Store)
	}
	return WrapError(EUpstreamUnavailable, msg, cause)
}

// answered reports whether err is an answer of the store (not found, a
// reused refresh token...) rather than a failure to get one.
func answered(err error) bool {
	switch ErrorCode(err) {
	case EInternal, EUpstreamUnavailable, ECanceled:
		return false
	}
	return true
}

// call runs fn under d and returns its value with the judged error.
func call[T any](ctx context.Context, d Deadline, op string, fn func(context.Context) (T, error)) (T, error) {
	var v T
	err := d.run(ctx, d.timeout(), op, func(ctx context.Context) error {
		var err error
		v, err = fn(ctx)
		return err
	})
	return v, err
}

type deadlineUsers struct {
	d Deadline
	s UserStore
}

func (u deadlineUsers) FindOrCreateByIdentity(ctx context.Context, id Identity, newUser *User) (*User, bool, error) {
	var created bool
	user, err := call(ctx, u.d, "find or create user", func(ctx context.Context) (*User, error) {
		user, c, err := u.s.FindOrCreateByIdentity(ctx, id, newUser)
		created = c
		return user, err
	})
	return user, created, err
}

// Starter returns s with every call bounded by d.
func (d Deadline) Starter(s SessionStarter) SessionStarter { return deadlineStarter{d, s} }

type deadlineStarter struct {
	d Deadline
	s SessionStarter
}

func (st deadlineStarter) StartSession(ctx context.Context, id Identity, newUser *User, session *Session) (*User, bool, error) {
	var created bool
	user, err := call(ctx, st.d, "start session", func(ctx context.Context) (*User, error) {
		user, c, err := st.s.StartSession(ctx, id, newUser, session)
		created = c
		return user, err
	})
	return user, created, err
}

func (u deadlineUsers) LinkIdentity(ctx context.Context, userID string, id Identity) (*User, error) {
	return call(ctx, u.d, "link identity", func(ctx context.Context) (*User, error) { return u.s.LinkIdentity(ctx, userID, id) })
}

func (u deadlineUsers) UnlinkIdentity(ctx context.Context, userID, appID string) (*Identity, error) {
	return call(ctx, u.d, "unlink identity", func(ctx context.Context) (*Identity, error) {
		return u.s.UnlinkIdentity(ctx, userID, appID)
	})
}

func (u deadlineUsers) UserByID(ctx context.Context, id string) (*User, error) {
	return call(ctx, u.d, "user by id", func(ctx context.Context) (*User, error) { return u.s.UserByID(ctx, id) })
}

func (u deadlineUsers) UserDisabled(ctx context.Context, id string) (bool, error) {
	return call(ctx, u.d, "user disabled", func(ctx context.Context) (bool, error) { return u.s.UserDisabled(ctx, id) })
}

func (u deadlineUsers) UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error) {
	return call(ctx, u.d, "update user", func(ctx context.Context) (*User, error) { return u.s.UpdateUser(ctx, id, upd) })
}

func (u deadlineUsers) ListUsers(ctx context.Context, f UserFilter) ([]*User, error) {
	return call(ctx, u.d, "list users", func(ctx context.Context) ([]*User, error) { return u.s.ListUsers(ctx, f) })
}

func (u deadlineUsers) Ping(ctx context.Context) error { return u.d.Ping(u.s.Ping)(ctx) }

type deadlineSessions struct {
	d Deadline
	s SessionStore
}

func (s deadlineSessions) RefusesDisabledUsers() bool { return refusesDisabledUsers(s.s) }

func (s deadlineSessions) CreateSession(ctx context.Context, sess *Session) error {
	return s.d.run(ctx, s.d.timeout(), "create session", func(ctx context.Context) error { return s.s.CreateSession(ctx, sess) })
}

func (s deadlineSessions) SessionByAccessHash(ctx context.Context, hash string) (*Session, error) {
	return call(ctx, s.d, "session by access hash", func(ctx context.Context) (*Session, error) {
		return s.s.SessionByAccessHash(ctx, hash)
	})
}

func (s deadlineSessions) RotateRefresh(ctx context.Context, hash string, r Rotation) (*Session, error) {
	return call(ctx, s.d, "rotate refresh", func(ctx context.Context) (*Session, error) { return s.s.RotateRefresh(ctx, hash, r) })
}

func (s deadlineSessions) RevokeSession(ctx context.Context, id string) error {
	return s.d.run(ctx, s.d.timeout(), "revoke session", func(ctx context.Context) error { return s.s.RevokeSession(ctx, id) })
}

func (s deadlineSessions) RevokeUserSessions(ctx context.Context, userID string) ([]string, error) {
	return call(ctx, s.d, "revoke user sessions", func(ctx context.Context) ([]string, error) {
		return s.s.RevokeUserSessions(ctx, userID)
	})
}

func (s deadlineSessions) UserSessions(ctx context.Context, userID string, now time.Time) ([]*Session, error) {
	return call(ctx, s.d, "user sessions", func(ctx context.Context) ([]*Session, error) {
		return s.s.UserSessions(ctx, userID, now)
	})
}

func (s deadlineSessions) TouchSessions(ctx context.Context, at time.Time, ids []string) error {
	return s.d.run(ctx, s.d.timeout(), "touch sessions", func(ctx context.Context) error { return s.s.TouchSessions(ctx, at, ids) })
}

func (s deadlineSessions) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := s.d.run(ctx, max(s.d.timeout(), purgeTimeout), "delete expired sessions", func(ctx context.Context) error {
		var err error
		n, err = s.s.DeleteExpired(ctx, before)
		return err
	})
	return n, err
}

func (s deadlineSessions) Ping(ctx context.Context) error { return s.d.Ping(s.s.Ping)(ctx) }

type deadlineEvents struct {
	d Deadline
	e SessionEvents
}

func (e deadlineEvents) PublishSessionChanged(ctx context.Context, sessionIDs ...string) error {
	return e.d.run(ctx, e.d.timeout(), "publish session change", func(ctx context.Context) error {
		return e.e.PublishSessionChanged(ctx, sessionIDs...)
	})
}

func (e deadlineEvents) SubscribeSessionChanged(ctx context.Context, changed func(string), reset func()) {
	e.e.SubscribeSessionChanged(ctx, changed, reset)
}

type deadlineTokens struct {
	d Deadline
	s AccessTokenStore
}

func (t deadlineTokens) LoadAccessToken(ctx context.Context, appID string) (AccessToken, error) {
	return call(ctx, t.d, "load access token", func(ctx context.Context) (AccessToken, error) {
		return t.s.LoadAccessToken(ctx, appID)
	})
}

func (t deadlineTokens) LockAccessToken(ctx context.Context, appID string, ttl time.Duration) (int64, bool, error) {
	var ok bool
	fence, err := call(ctx, t.d, "lock access token", func(ctx context.Context) (int64, error) {
		f, got, err := t.s.LockAccessToken(ctx, appID, ttl)
		ok = got
		return f, err
	})
	return fence, ok, err
}

func (t deadlineTokens) SaveAccessToken(ctx context.Context, appID string, fence int64, tok AccessToken) error {
	return t.d.run(ctx, t.d.timeout(), "save access token", func(ctx context.Context) error {
		return t.s.SaveAccessToken(ctx, appID, fence, tok)
	})
}

func (t deadlineTokens) UnlockAccessToken(ctx context.Context, appID string, fence int64) error {
	return t.d.run(ctx, t.d.timeout(), "unlock access token", func(ctx context.Context) error {
		return t.s.UnlockAccessToken(ctx, appID, fence)
	})
}

func (t deadlineTokens) ReserveForceRefresh(ctx context.Context, appID string, now time.Time, minGap time.Duration, perDay int) (bool, error) {
	return call(ctx, t.d, "reserve forced refresh", func(ctx context.Context) (bool, error) {
		return t.s.ReserveForceRefresh(ctx, appID, now, minGap, perDay)
	})
}
