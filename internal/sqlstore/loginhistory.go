package sqlstore

import (
	"context"
	"time"

	"github.com/miniauth/miniauth"
)

// SessionLogins is the console's login history read from the sessions
// table, for deployments whose sessions are in the database: every session
// is one login (its creation; refreshes rotate it in place). It sees only
// sessions not yet ended or purged, and no failures; a record of every
// login, refresh, logout and failure replaces it where one is kept.
type SessionLogins struct{ s *Store }

var _ miniauth.LoginHistory = SessionLogins{}

// SessionLogins returns the login history over the sessions table.
func (s *Store) SessionLogins() SessionLogins { return SessionLogins{s} }

const (
	qSessionLogins = `SELECT created_at, user_id, app_id, ip, user_agent FROM sessions
		WHERE user_id = ? ORDER BY created_at DESC LIMIT ?`
	qCountSessionLogins = `SELECT COUNT(*) FROM sessions WHERE created_at >= ? AND created_at < ?`
)

// UserLogins returns the user's latest sessions as logins, newest first.
func (l SessionLogins) UserLogins(ctx context.Context, userID string, limit int) ([]miniauth.LoginRecord, error) {
	rows, err := l.s.query(ctx, qSessionLogins, userID, limit)
	if err != nil {
		return nil, l.s.wrap("user logins", err)
	}
	return collect(rows, func(row scanner) (miniauth.LoginRecord, error) {
		r := miniauth.LoginRecord{Kind: "login", Result: "ok"}
		err := row.Scan(msTime{&r.At}, &r.UserID, &r.AppID, &r.IP, &r.UserAgent)
		return r, err
	}, l.s.wrapper("user logins"))
}

// CountLogins counts the sessions created in [from, to), on sessions_created.
func (l SessionLogins) CountLogins(ctx context.Context, from, to time.Time) (int64, error) {
	return l.s.count(ctx, "count logins", qCountSessionLogins, l.s.t(from), l.s.t(to))
}
