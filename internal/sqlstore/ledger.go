package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/miniauth/miniauth"
)

var _ miniauth.SessionLedger = (*Store)(nil)

const (
	qLedgerRevoke      = `INSERT INTO ledger_revoked_sessions (session_id, expires_at) VALUES (?, ?)`
	qLedgerRotate      = `UPDATE ledger_rotations SET refresh_hash = ?, rotated_at = ?, expires_at = ? WHERE session_id = ? AND rotated_at < ?`
	qLedgerAddRotation = `INSERT INTO ledger_rotations (session_id, refresh_hash, rotated_at, expires_at) VALUES (?, ?, ?, ?)`
	qLedgerEndUser     = `UPDATE ledger_user_sessions_ended SET ended_at = ?, expires_at = ? WHERE user_id = ? AND ended_at < ?`
	qLedgerAddEndUser  = `INSERT INTO ledger_user_sessions_ended (user_id, ended_at, expires_at) VALUES (?, ?, ?)`
	// One round trip for all that the ledger knows of a session.
	qLedgerRecord = `SELECT
		(SELECT COUNT(*) FROM ledger_revoked_sessions WHERE session_id = ?),
		(SELECT refresh_hash FROM ledger_rotations WHERE session_id = ?),
		(SELECT ended_at FROM ledger_user_sessions_ended WHERE user_id = ?)`
	qAddInstance = `INSERT INTO redis_instances (run_id, first_seen) VALUES (?, ?)`
	qInstance    = `SELECT first_seen FROM redis_instances WHERE run_id = ?`
)

// The ledger tables purged by PurgeLedger. The Redis instances stay: a row
// per Redis start is nothing, and forgetting one would only move the trust
// boundary later.
var ledgerTables = []string{"ledger_revoked_sessions", "ledger_rotations", "ledger_user_sessions_ended"}

// RecordRevoked notes that the session ended. Recording it again changes
// nothing.
func (s *Store) RecordRevoked(ctx context.Context, sessionID string, until time.Time) error {
	_, err := s.execW(ctx, qLedgerRevoke, sessionID, s.t(until))
	if err != nil && s.d.class(err) == ClassUnique {
		return nil
	}
	return s.wrap("record revoked session", err)
}

// RecordUserSessionsEnded notes that the user's sessions created at or
// before at ended; a later at wins.
func (s *Store) RecordUserSessionsEnded(ctx context.Context, userID string, at, until time.Time) error {
	err := s.keepLatest(ctx,
		qLedgerEndUser, []any{s.t(at), s.t(until), userID, s.t(at)},
		qLedgerAddEndUser, []any{userID, s.t(at), s.t(until)})
	return s.wrap("record ended user sessions", err)
}

// RecordRotation notes the session's refresh hash since at; a later at
// wins.
func (s *Store) RecordRotation(ctx context.Context, sessionID, refreshHash string, at, until time.Time) error {
	err := s.keepLatest(ctx,
		qLedgerRotate, []any{refreshHash, s.t(at), s.t(until), sessionID, s.t(at)},
		qLedgerAddRotation, []any{sessionID, refreshHash, s.t(at), s.t(until)})
	return s.wrap("record rotation", err)
}

// keepLatest updates a row when the new value is later, inserts it when
// there is none, and updates again when a concurrent insert came first.
// Each statement is atomic, so of concurrent calls the latest value stays,
// on every engine, without an engine-specific upsert.
func (s *Store) keepLatest(ctx context.Context, update string, updateArgs []any, insert string, insertArgs []any) error {
	for range 2 {
		res, err := s.execW(ctx, update, updateArgs...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		_, err = s.execW(ctx, insert, insertArgs...)
		if err == nil || s.d.class(err) != ClassUnique {
			return err
		}
	}
	return nil // the row exists with a later or equal value
}

// LedgerRecord returns what the ledger knows of the session and its user.
func (s *Store) LedgerRecord(ctx context.Context, sessionID, userID string) (miniauth.LedgerRecord, error) {
	var rec miniauth.LedgerRecord
	var revoked int64
	var refresh sql.NullString
	err := s.queryRow(ctx, qLedgerRecord, sessionID, sessionID, userID).
		Scan(&revoked, &refresh, nullMSTime{&rec.UserSessionsEndedAt})
	if err != nil {
		return miniauth.LedgerRecord{}, s.wrap("ledger record", err)
	}
	rec.Revoked = revoked > 0
	rec.RefreshHash = refresh.String
	return rec, nil
}

// InstanceFirstSeen records the instance the first time and returns when
// that was.
func (s *Store) InstanceFirstSeen(ctx context.Context, instanceID string, at time.Time) (time.Time, error) {
	if _, err := s.execW(ctx, qAddInstance, instanceID, s.t(at)); err != nil && s.d.class(err) != ClassUnique {
		return time.Time{}, s.wrap("record redis instance", err)
	}
	var first time.Time
	if err := s.queryRow(ctx, qInstance, instanceID).Scan(msTime{&first}); err != nil {
		return time.Time{}, s.wrap("redis instance", err)
	}
	return first, nil
}

// PurgeLedger deletes the rows kept until before t.
func (s *Store) PurgeLedger(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for _, table := range ledgerTables {
		res, err := s.execW(ctx, `DELETE FROM `+table+` WHERE expires_at < ?`, s.t(before))
		if err != nil {
			return total, s.wrap("purge ledger", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, s.wrap("purge ledger", err)
		}
		total += int(n)
	}
	return total, nil
}

// nullMSTime scans a time that may be NULL (left zero).
type nullMSTime struct{ t *time.Time }

func (m nullMSTime) Scan(src any) error {
	if src == nil {
		*m.t = time.Time{}
		return nil
	}
	return msTime(m).Scan(src)
}
