package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"net/url"
	"strings"
	"time"

	"github.com/miniauth/miniauth"
)

// lastUse keeps the sessions' last-use times in a small file of its own
// beside the database (the database's path + "-lastuse"), one narrow row
// per session keyed by its id's 16 bytes. A verify of a session not used
// for a minute writes its time; with a million sessions drawn at random
// those writes land all over the sessions table, a 4 KB page each for a
// row of a few hundred bytes. Here the whole table is a few thousand pages,
// the service hands over a second's worth at once, and one transaction
// writes each page once for many sessions, on a writer of its own that
// never holds up logins. It is a time for the devices page: its file runs
// with synchronous off (a crash may lose the last second's), and what it
// says is merged with the sessions table's own last_used_at (set at login
// and refresh) by taking the later.
type lastUse struct {
	w, r *sql.DB // one writer; readers (the same connection in memory)
	keep time.Duration
}

const (
	qLastUseSchema = `CREATE TABLE IF NOT EXISTS last_use (
		session_id BLOB    NOT NULL PRIMARY KEY,
		used_at    INTEGER NOT NULL
	) WITHOUT ROWID`
	qLastUseTouch = `INSERT INTO last_use (session_id, used_at) VALUES (?, ?)
		ON CONFLICT (session_id) DO UPDATE SET used_at = excluded.used_at WHERE excluded.used_at > last_use.used_at`
	qLastUseForget = `DELETE FROM last_use WHERE session_id = ?`
	qLastUsePurge  = `DELETE FROM last_use WHERE used_at < ?`
)

// openLastUse opens (creating it) the last-use file of the database at
// path; rows are purged keep after their last use.
func openLastUse(ctx context.Context, path, busy string, readConns int, keep time.Duration) (*lastUse, error) {
	l := &lastUse{keep: keep}
	var err error
	if path == ":memory:" {
		l.w, err = oneConn(path, url.Values{"_pragma": {busy}})
		l.r = l.w
	} else {
		path += "-lastuse"
		if l.w, err = oneConn(path, url.Values{"_pragma": {busy, "journal_mode(WAL)", "synchronous(OFF)"}}); err == nil {
			l.r, err = sql.Open("sqlite", dsn(path, url.Values{"_pragma": {busy, "query_only(1)"}}))
		}
		if err == nil {
			l.r.SetMaxOpenConns(readConns)
			l.r.SetMaxIdleConns(readConns)
		}
	}
	if err == nil {
		_, err = l.w.ExecContext(ctx, qLastUseSchema)
	}
	if err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

// key is a session id's 16 bytes when it is 32 lowercase hex digits (ours),
// else the id itself.
func lastUseKey(id string) []byte {
	if len(id) == 32 && strings.ToLower(id) == id {
		if b, err := hex.DecodeString(id); err == nil {
			return b
		}
	}
	return []byte(id)
}

// touch sets the sessions' last use to at, never backwards, in one
// transaction.
func (l *lastUse) touch(ctx context.Context, at time.Time, ids []string) error {
	tx, err := l.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // after Commit, a no-op
	st, err := tx.PrepareContext(ctx, qLastUseTouch)
	if err != nil {
		return err
	}
	ms := at.UnixMilli()
	for _, id := range ids {
		if _, err := st.ExecContext(ctx, lastUseKey(id), ms); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// merge moves each session's LastUsedAt to its time here, when later.
func (l *lastUse) merge(ctx context.Context, sessions ...*miniauth.Session) error {
	if len(sessions) == 0 {
		return nil
	}
	byKey := make(map[string]*miniauth.Session, len(sessions))
	args := make([]any, len(sessions))
	for i, x := range sessions {
		k := lastUseKey(x.ID)
		byKey[string(k)] = x
		args[i] = k
	}
	q := `SELECT session_id, used_at FROM last_use WHERE session_id IN (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ") + `)`
	rows, err := l.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k []byte
		var ms int64
		if err := rows.Scan(&k, &ms); err != nil {
			return err
		}
		if x := byKey[string(k)]; x != nil {
			if t := time.UnixMilli(ms).UTC(); t.After(x.LastUsedAt) {
				x.LastUsedAt = t
			}
		}
	}
	return rows.Err()
}

// forget deletes the rows of ended sessions; one a touch recreates after
// the session ended goes with the purge.
func (l *lastUse) forget(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if _, err := l.w.ExecContext(ctx, qLastUseForget, lastUseKey(id)); err != nil {
			return err
		}
	}
	return nil
}

// purge deletes the rows of sessions that cannot be live: last used keep
// (the refresh TTL) before now, a session's refresh token has expired.
func (l *lastUse) purge(ctx context.Context, now time.Time) error {
	_, err := l.w.ExecContext(ctx, qLastUsePurge, now.Add(-l.keep).UnixMilli())
	return err
}

func (l *lastUse) close() error {
	var err error
	if l.r != nil && l.r != l.w {
		err = l.r.Close()
	}
	if l.w != nil {
		if cerr := l.w.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
