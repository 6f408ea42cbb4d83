package sqlstore

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/miniauth/miniauth"
)

var _ miniauth.SessionEndingStore = (*Store)(nil)

const (
	// The newest number plus one, in the statement that inserts it: a
	// writer can only take n+1 once n has committed (before, n is not
	// visible to it, and its own n collides with the uncommitted one), so
	// endings commit in the order of their numbers on every engine, which
	// lets readers follow the feed by number alone.
	qAddEnding = `INSERT INTO session_endings (seq, session_id, user_id, ended_at, expires_at)
		SELECT COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM session_endings`
	qEndingsAfter = `SELECT seq, session_id, user_id, ended_at, expires_at FROM session_endings
		WHERE seq > ? AND expires_at > ? ORDER BY seq LIMIT ?`
	qNewestEnding = `SELECT COALESCE(MAX(seq), 0) FROM session_endings`
	qPurgeEndings = `DELETE FROM session_endings WHERE expires_at < ? AND seq < ?`
)

// RecordSessionEndings appends the endings, one statement each. One that
// collided with a concurrent ending's number, or lost a deadlock to it, is
// tried again after a pause that grows, until the call's deadline.
func (s *Store) RecordSessionEndings(ctx context.Context, endings []miniauth.SessionEnding) error {
	for _, e := range endings {
		for attempt := 0; ; attempt++ {
			_, err := s.execW(ctx, qAddEnding, e.SessionID, e.UserID, s.t(e.At), s.t(e.Until))
			if err == nil {
				break
			}
			if c := s.d.class(err); (c != ClassUnique && c != ClassRetryable) || ctx.Err() != nil {
				return s.wrap("record session ending", err)
			}
			pause := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 5)))
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return s.wrap("record session ending", ctx.Err())
			}
		}
	}
	return nil
}

// SessionEndingsAfter returns the endings numbered after seq, by number.
func (s *Store) SessionEndingsAfter(ctx context.Context, seq int64, now time.Time, limit int) ([]miniauth.SessionEnding, error) {
	rows, err := s.query(ctx, qEndingsAfter, seq, s.t(now), limit)
	if err != nil {
		return nil, s.wrap("read session endings", err)
	}
	defer rows.Close()
	var out []miniauth.SessionEnding
	for rows.Next() {
		var e miniauth.SessionEnding
		if err := rows.Scan(&e.Seq, &e.SessionID, &e.UserID, msTime{&e.At}, msTime{&e.Until}); err != nil {
			return nil, s.wrap("read session endings", err)
		}
		out = append(out, e)
	}
	return out, s.wrap("read session endings", rows.Err())
}

// PurgeSessionEndings deletes the endings whose tokens have all expired,
// keeping the newest: numbering goes on from it.
func (s *Store) PurgeSessionEndings(ctx context.Context, before time.Time) (int, error) {
	var newest int64
	if err := s.queryRow(ctx, qNewestEnding).Scan(&newest); err != nil {
		return 0, s.wrap("purge session endings", err)
	}
	res, err := s.execW(ctx, qPurgeEndings, s.t(before), newest)
	if err != nil {
		return 0, s.wrap("purge session endings", err)
	}
	n, err := res.RowsAffected()
	return int(n), s.wrap("purge session endings", err)
}
