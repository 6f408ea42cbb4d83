package miniauth

import (
	"context"
	"time"
)

// Session is one login of one user on one device. Its tokens are stored only
// as hashes (HashToken); the session key from WeChat stays here and never
// leaves the server.
type Session struct {
	ID               string
	UserID           string
	AppID            string
	OpenID           string
	SessionKey       string
	AccessHash       string // HashToken of the current access token
	RefreshHash      string // HashToken of the current refresh token
	UserAgent        string
	IP               string
	CreatedAt        time.Time
	LastUsedAt       time.Time
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time

	// IssuedAt is when the current tokens were issued: the creation, or the
	// last refresh. Stores that may lose acknowledged writes (Redis) keep
	// it, so that a copy older than their last data loss is checked against
	// the SessionLedger; the SQL stores, their own truth, leave it zero.
	IssuedAt time.Time
}

// Rotation is what a refresh writes into a session: new token hashes and
// their expiries, at time At.
type Rotation struct {
	AccessHash       string
	RefreshHash      string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	At               time.Time
}

// DisabledUserRefuser is implemented by a SessionStore kept beside the
// users whose CreateSession, when RefusesDisabledUsers, refuses a session of
// a disabled user (EUserBlocked, nothing stored) in the same atomic step
// as the insert, so that no disable can come between the check and the
// session: a login then needs no second read of its user (see
// Service.issue). A user the store does not know is no reason to
// refuse. The SQLite store is one (its writes never overlap), and the
// PostgreSQL store (its INSERT reads the user's row FOR SHARE).
type DisabledUserRefuser interface {
	RefusesDisabledUsers() bool
}

// SessionStarter is implemented by a database that keeps users and their
// sessions together. A first login otherwise commits twice, the account and
// then the session, and waits for each; StartSession commits once.
type SessionStarter interface {
	// StartSession does what UserStore.FindOrCreateByIdentity does, then,
	// unless the user it answers is disabled, stores session (its UserID
	// set to the user's) as SessionStore.CreateSession does. A new account
	// and its session are stored together or not at all. A disabled user
	// is answered, with no session stored and no error; a disable racing
	// the session is refused as CreateSession refuses it.
	StartSession(ctx context.Context, id Identity, newUser *User, session *Session) (user *User, created bool, err error)
}

func refusesDisabledUsers(s SessionStore) bool {
	r, ok := s.(DisabledUserRefuser)
	return ok && r.RefusesDisabledUsers()
}

// SessionStore keeps sessions. Implementations: sqlite, postgres, mysql
// (sessions in the user database) and redis. A revoked session is gone: no
// method returns it again.
type SessionStore interface {
	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s *Session) error

	// SessionByAccessHash returns the session whose current access token has
	// this hash, or ENotFound. It does not check expiry: the caller does.
	SessionByAccessHash(ctx context.Context, accessHash string) (*Session, error)

	// RotateRefresh finds the session whose current refresh token has hash
	// refreshHash and whose refresh token has not expired at r.At, replaces its
	// token hashes and expiries with r (LastUsedAt = r.At), remembers
	// refreshHash as used, and returns the updated session. Only one of any
	// number of concurrent calls with the same hash succeeds.
	//
	// Errors: a *RefreshReuse (errors.Is ErrRefreshReused, code
	// EUnauthorized) with the session when refreshHash is an earlier, already
	// rotated refresh token of a session that still exists; ENotFound when the
	// hash is unknown or expired.
	RotateRefresh(ctx context.Context, refreshHash string, r Rotation) (*Session, error)

	// RevokeSession deletes the session and everything that points to it. Revoking
	// an unknown session is not an error.
	RevokeSession(ctx context.Context, id string) error

	// RevokeUserSessions deletes every session of the user and returns their ids.
	RevokeUserSessions(ctx context.Context, userID string) ([]string, error)

	// UserSessions returns the user's sessions live at now (refresh token
	// not expired), newest first.
	UserSessions(ctx context.Context, userID string, now time.Time) ([]*Session, error)

	// TouchSessions sets the LastUsedAt of each named session to at, where
	// it is older. Unknown sessions are not an error. ids may name as many
	// sessions as Options.TouchQueue holds (a second's worth): a store
	// splits them as it needs.
	TouchSessions(ctx context.Context, at time.Time, ids []string) error

	// DeleteExpired deletes sessions whose refresh token expired before t and
	// returns how many. Stores whose entries expire by themselves return 0.
	DeleteExpired(ctx context.Context, before time.Time) (int, error)

	// Ping reports whether the store answers (for readiness).
	Ping(ctx context.Context) error
}

// ErrRefreshReused is returned when a refresh token is presented again after
// it was rotated: the token leaked or a client raced itself. Past the reuse
// leeway the session ends.
var ErrRefreshReused = &Error{Code: EUnauthorized, Message: "refresh token was already used; the session is revoked"}

// RefreshReuse is the error RotateRefresh returns for a refresh token that
// was already rotated away: errors.Is(err, ErrRefreshReused) holds, and
// RotatedAt (millisecond precision; zero when the store no longer knows)
// says when the token was rotated, so that the caller can tell a client
// that raced itself from a thief.
type RefreshReuse struct{ RotatedAt time.Time }

func (e *RefreshReuse) Error() string { return ErrRefreshReused.Error() }
func (e *RefreshReuse) Unwrap() error { return ErrRefreshReused }

// SessionEvents carries "this session changed or ended" between the nodes of
// a deployment, so that each node's verify cache drops it at once. The redis
// package implements it with pub/sub. Without it, caches expire entries after
// their short TTL.
type SessionEvents interface {
	// PublishSessionChanged tells every node (this one included) that the
	// sessions changed.
	PublishSessionChanged(ctx context.Context, sessionIDs ...string) error

	// SubscribeSessionChanged calls changed for every published id until ctx
	// ends. It calls reset whenever events may have been missed (before the
	// first subscription is live, after a reconnect, while disconnected), so
	// that the caller drops its whole cache. It returns when ctx ends.
	SubscribeSessionChanged(ctx context.Context, changed func(sessionID string), reset func())
}

// CompleteEvents are SessionEvents that no change escapes: whatever another
// node or process changes reaches this node as changed or reset, within a
// delay of the implementation's own (the sqlite package's Changes, which
// watch the file itself). Redis pub/sub is not complete: a node that stops
// between its write and its publish tells no one, so with it the verify
// cache still trusts a session only CacheTTL.
type CompleteEvents interface {
	SessionEvents
	// SeesEveryChange only marks the type.
	SeesEveryChange()
}
