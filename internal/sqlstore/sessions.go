package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/miniauth/miniauth"
)

const sessionColumns = `id, user_id, app_id, openid, session_key, access_hash, refresh_hash, user_agent, ip,
	created_at, last_used_at, access_expires_at, refresh_expires_at`

const (
	qInsertSession = `INSERT INTO sessions (` + sessionColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// The verify path: one SELECT on the unique index of access_hash.
	qSessionByAccess  = `SELECT ` + sessionColumns + ` FROM sessions WHERE access_hash = ?`
	qSessionByRefresh = `SELECT ` + sessionColumns + ` FROM sessions WHERE refresh_hash = ?`
	qSessionByID      = `SELECT ` + sessionColumns + ` FROM sessions WHERE id = ?`
	// The compare-and-swap of a rotation: only the row whose refresh hash
	// is still the presented one changes. Of concurrent rotations with one
	// hash, the first to update it wins; the others wait for its row lock
	// and then match no row (PostgreSQL and MySQL re-read the row after the
	// lock; SQLite has one writer at a time).
	qRotate = `UPDATE sessions SET access_hash = ?, refresh_hash = ?, access_expires_at = ?, refresh_expires_at = ?,
		last_used_at = ? WHERE refresh_hash = ? AND refresh_expires_at > ?`
	qInsertUsed     = `INSERT INTO used_refresh_tokens (refresh_hash, session_id, used_at) VALUES (?, ?, ?)`
	qUsedSession    = `SELECT session_id, used_at FROM used_refresh_tokens WHERE refresh_hash = ?`
	qDeleteSession  = `DELETE FROM sessions WHERE id = ?`
	qUserSessionIDs = `SELECT id FROM sessions WHERE user_id = ?`
	qUserSessions   = `SELECT ` + sessionColumns + ` FROM sessions WHERE user_id = ? AND refresh_expires_at > ?
		ORDER BY created_at DESC, id DESC`
	// Touching never moves last_used_at back, whichever of two concurrent
	// requests writes last.
	qTouchIn       = `UPDATE sessions SET last_used_at = ? WHERE last_used_at < ? AND id IN (` // + the ids + ")"
	qDeleteExpired = `DELETE FROM sessions WHERE refresh_expires_at < ?`
)

func scanSession(row scanner) (*miniauth.Session, error) {
	var x miniauth.Session
	err := row.Scan(&x.ID, &x.UserID, &x.AppID, &x.OpenID, &x.SessionKey, &x.AccessHash, &x.RefreshHash,
		&x.UserAgent, &x.IP, msTime{&x.CreatedAt}, msTime{&x.LastUsedAt}, msTime{&x.AccessExpiresAt},
		msTime{&x.RefreshExpiresAt})
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, x *miniauth.Session) error {
	if err := checkNewSession(x); err != nil {
		return err
	}
	ofEnabled := s.RefusesDisabledUsers()
	query, args := s.sessionInsert(x, ofEnabled)
	res, err := s.execW(ctx, query, args...)
	if err != nil || !ofEnabled {
		return s.wrap("create session", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return firstErr(s.wrap("create session", err), errUserDisabled)
	}
	return nil
}

// sessionInsert is the statement that stores x, and its arguments: unless
// the user is disabled when ofEnabled.
func (s *Store) sessionInsert(x *miniauth.Session, ofEnabled bool) (string, []any) {
	if !ofEnabled {
		return qInsertSession, s.sessionArgs(x)
	}
	return s.qInsertSessionOfEnabled(), append(append([]any{x.UserID}, s.sessionArgs(x)...), true)
}

func checkNewSession(x *miniauth.Session) error {
	if x.ID == "" || x.AccessHash == "" || x.RefreshHash == "" {
		return miniauth.Errorf(miniauth.EInvalidRequest, "a new session needs an id and token hashes")
	}
	return nil
}

// sessionArgs are qInsertSession's arguments.
func (s *Store) sessionArgs(x *miniauth.Session) []any {
	return []any{x.ID, x.UserID, x.AppID, x.OpenID, x.SessionKey, x.AccessHash,
		x.RefreshHash, x.UserAgent, x.IP, s.t(x.CreatedAt), s.t(x.LastUsedAt), s.t(x.AccessExpiresAt),
		s.t(x.RefreshExpiresAt)}
}

// StartSession: see miniauth.SessionStarter. A new account's session goes
// into the transaction that creates the account; a returning user's is
// CreateSession's own write, or, where writes are batched, in the same
// transaction too (see findOrCreate).
func (s *Store) StartSession(ctx context.Context, id miniauth.Identity, newUser *miniauth.User, x *miniauth.Session) (*miniauth.User, bool, error) {
	if err := checkNewSession(x); err != nil {
		return nil, false, err
	}
	u, created, stored, err := s.findOrCreate(ctx, id, newUser, x)
	if err != nil || stored || u.Disabled {
		return u, created, err
	}
	x.UserID = u.ID
	return u, created, s.CreateSession(ctx, x)
}

// insertSession stores x in tx; unless the user is disabled when
// ofEnabled. It answers whether it stored x.
func (tx *Tx) insertSession(x *miniauth.Session, ofEnabled bool) (bool, error) {
	query, args := tx.s.sessionInsert(x, ofEnabled)
	res, err := tx.exec(query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

var errUserDisabled = miniauth.Errorf(miniauth.EUserBlocked, "this account is disabled")

// RefusesDisabledUsers: see miniauth.DisabledUserRefuser. The INSERT reads
// the user's flag and keeps the row from changing until it commits (a
// disable waits, then finds the session), or, where writes never overlap,
// needs no lock.
func (s *Store) RefusesDisabledUsers() bool { return s.d.OneWriter || s.d.ForShare != "" }

// qInsertSessionOfEnabled is qInsertSession unless the user is disabled.
// A user the store does not know is no reason to refuse. MATERIALIZED keeps
// the planner from folding the user's row into the NOT EXISTS, where a
// condition on the flag could decide which rows get locked.
func (s *Store) qInsertSessionOfEnabled() string {
	return `WITH u AS MATERIALIZED (SELECT disabled FROM users WHERE id = ?` + s.d.ForShare + `)
		INSERT INTO sessions (` + sessionColumns + `) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE NOT EXISTS (SELECT 1 FROM u WHERE disabled = ?)`
}

// SessionByAccessHash returns the session whose current access token has
// this hash, or ENotFound.
func (s *Store) SessionByAccessHash(ctx context.Context, accessHash string) (*miniauth.Session, error) {
	x, err := scanSession(s.queryRow(ctx, qSessionByAccess, accessHash))
	if isNoRows(err) {
		return nil, notFound("session")
	}
	if err != nil {
		return nil, s.wrap("session by access hash", err)
	}
	return x, nil
}

// RotateRefresh swaps the session's token hashes if refreshHash is its
// current, unexpired refresh token; see miniauth.SessionStore.
func (s *Store) RotateRefresh(ctx context.Context, refreshHash string, r miniauth.Rotation) (*miniauth.Session, error) {
	var x *miniauth.Session
	var reusedAt time.Time
	err := s.inTx(ctx, "rotate refresh token", func(tx *Tx) error {
		var err error
		x, reusedAt, err = tx.rotateRefresh(refreshHash, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !reusedAt.IsZero() {
		return x, &miniauth.RefreshReuse{RotatedAt: reusedAt}
	}
	return x, nil
}

// rotateRefresh returns the rotated session, or the session whose earlier
// refresh token refreshHash is, with the time it was rotated (reusedAt).
func (tx *Tx) rotateRefresh(refreshHash string, r miniauth.Rotation) (x *miniauth.Session, reusedAt time.Time, err error) {
	s := tx.s
	res, err := tx.exec(qRotate, r.AccessHash, r.RefreshHash, s.t(r.AccessExpiresAt), s.t(r.RefreshExpiresAt),
		s.t(r.At), refreshHash, s.t(r.At))
	if err != nil {
		return nil, time.Time{}, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, time.Time{}, err
	}
	if n == 1 {
		x, err := scanSession(tx.queryRow(qSessionByRefresh, r.RefreshHash))
		if err != nil {
			return nil, time.Time{}, err
		}
		if _, err := tx.exec(qInsertUsed, refreshHash, x.ID, s.t(r.At)); err != nil {
			return nil, time.Time{}, err
		}
		return x, time.Time{}, nil
	}

	// Not the current token of any session: an earlier one (reuse), or
	// unknown, or expired.
	var id string
	var usedAt time.Time
	err = tx.queryRow(qUsedSession, refreshHash).Scan(&id, msTime{&usedAt})
	if isNoRows(err) {
		return nil, time.Time{}, notFound("refresh token")
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	x, err = scanSession(tx.queryRow(qSessionByID, id))
	if isNoRows(err) { // the used-token rows go with their session; belt and braces
		return nil, time.Time{}, notFound("refresh token")
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	return x, usedAt, nil
}

// RevokeSession deletes the session; its used refresh hashes go with it
// (ON DELETE CASCADE).
func (s *Store) RevokeSession(ctx context.Context, id string) error {
	_, err := s.execW(ctx, qDeleteSession, id)
	return s.wrap("revoke session", err)
}

// RevokeUserSessions deletes every session of the user and returns their
// ids. It deletes exactly the sessions it read (locked, in one
// transaction), so that every id deleted is returned; a session created
// meanwhile is newer than the revocation and stays.
func (s *Store) RevokeUserSessions(ctx context.Context, userID string) ([]string, error) {
	var ids []string
	err := s.inTx(ctx, "revoke user sessions", func(tx *Tx) error {
		ids = ids[:0]
		rows, err := tx.query(qUserSessionIDs+s.d.ForUpdate, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for _, id := range ids {
			if _, err := tx.exec(qDeleteSession, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// UserSessions returns the user's live sessions (refresh token not
// expired), newest first.
func (s *Store) UserSessions(ctx context.Context, userID string, now time.Time) ([]*miniauth.Session, error) {
	rows, err := s.query(ctx, qUserSessions, userID, s.t(now))
	if err != nil {
		return nil, s.wrap("user sessions", err)
	}
	defer rows.Close()
	list := []*miniauth.Session{}
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, s.wrap("user sessions", err)
		}
		list = append(list, x)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("user sessions", err)
	}
	return list, nil
}

// touchChunk is the most sessions one touch statement names.
const touchChunk = 1_000

// TouchSessions sets LastUsedAt (never backwards) of every named session,
// a statement per thousand: their IN lists vary with the batch, so they
// are not prepared.
func (s *Store) TouchSessions(ctx context.Context, at time.Time, ids []string) error {
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), touchChunk)]
		ids = ids[len(chunk):]
		args := make([]any, 0, len(chunk)+2)
		args = append(args, s.t(at), s.t(at))
		for _, id := range chunk {
			args = append(args, id)
		}
		q := qTouchIn + strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ") + ")"
		if _, err := s.w.ExecContext(ctx, s.d.rebind(q), args...); err != nil {
			return s.wrap("touch sessions", err)
		}
	}
	return nil
}

// DeleteExpired deletes sessions whose refresh token expired before t.
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	res, err := s.execW(ctx, qDeleteExpired, s.t(before))
	if err != nil {
		return 0, s.wrap("delete expired sessions", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap("delete expired sessions", err)
	}
	return int(n), nil
}
