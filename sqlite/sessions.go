package sqlite

import (
	"context"
	"time"

	"github.com/miniauth/miniauth"
)

// The session store is the SQL store's, with the last-use times in their
// own file (lastuse.go): touches go there, and every session read is
// merged with it.

// Sessions returns the session store.
func (db *DB) Sessions() miniauth.SessionStore { return db }

// TouchSessions writes the sessions' last use into the last-use file.
func (db *DB) TouchSessions(ctx context.Context, at time.Time, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return db.lastUseErr("touch sessions", db.lu.touch(ctx, at, ids))
}

// SessionByAccessHash reads the session, with its last use.
func (db *DB) SessionByAccessHash(ctx context.Context, accessHash string) (*miniauth.Session, error) {
	x, err := db.Store.SessionByAccessHash(ctx, accessHash)
	if err != nil {
		return nil, err
	}
	return x, db.lastUseErr("read last use", db.lu.merge(ctx, x))
}

// UserSessions lists the user's live sessions, with their last use.
func (db *DB) UserSessions(ctx context.Context, userID string, now time.Time) ([]*miniauth.Session, error) {
	list, err := db.Store.UserSessions(ctx, userID, now)
	if err != nil {
		return nil, err
	}
	return list, db.lastUseErr("read last use", db.lu.merge(ctx, list...))
}

// RevokeSession deletes the session, then its last use. A last use that
// could not be deleted is no reason to fail the revocation: the purge
// takes it.
func (db *DB) RevokeSession(ctx context.Context, id string) error {
	if err := db.Store.RevokeSession(ctx, id); err != nil {
		return err
	}
	_ = db.lu.forget(ctx, []string{id})
	return nil
}

// RevokeUserSessions deletes the user's sessions, then their last use (as
// RevokeSession).
func (db *DB) RevokeUserSessions(ctx context.Context, userID string) ([]string, error) {
	ids, err := db.Store.RevokeUserSessions(ctx, userID)
	if err != nil {
		return nil, err
	}
	_ = db.lu.forget(ctx, ids)
	return ids, nil
}

// DeleteExpired deletes the expired sessions, and the last use of those
// that cannot be live any more.
func (db *DB) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	n, err := db.Store.DeleteExpired(ctx, before)
	if err != nil {
		return n, err
	}
	return n, db.lastUseErr("purge last use", db.lu.purge(ctx, before))
}

// lastUseErr wraps an error of the last-use file as the SQL store wraps
// the database's.
func (db *DB) lastUseErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return db.Wrap(op, err)
}
