package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/miniauth/miniauth"
)

var (
	_ miniauth.UserDirectory      = (*Store)(nil)
	_ miniauth.LiveSessionCounter = (*Store)(nil)
)

const (
	qCountUsers        = `SELECT COUNT(*) FROM users`
	qCountNewUsers     = `SELECT COUNT(*) FROM users WHERE created_at >= ? AND created_at < ?`
	qCountLiveSessions = `SELECT COUNT(*) FROM sessions WHERE refresh_expires_at > ?`
	// maxCodePoint ends the range of a nickname prefix: in byte order
	// (UTF-8, binary collations) no character sorts after it.
	maxCodePoint = "\U0010FFFF"
)

// SearchUsers returns a page of users matching q, newest first. A text is
// looked up by each of its indexes (id, openid, unionid, phone, nickname
// range) in a UNION, so that the engine never scans the table for it; the
// filters and the page's keyset apply to what the union found, or, with no
// text, follow the (…, created_at, id) indexes.
func (s *Store) SearchUsers(ctx context.Context, q miniauth.UserQuery) ([]*miniauth.User, error) {
	query, args := s.searchSQL(q)
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, s.wrap("search users", err)
	}
	return collect(rows, scanUser, s.wrapper("search users"))
}

func (s *Store) searchSQL(q miniauth.UserQuery) (string, []any) {
	var where []string
	var args []any
	if q.Text != "" {
		c := s.d.ByteOrder
		where = append(where, `id IN (SELECT id FROM users WHERE id = ?
			UNION SELECT id FROM users WHERE openid = ?
			UNION SELECT id FROM users WHERE unionid = ?
			UNION SELECT id FROM users WHERE phone = ?
			UNION SELECT id FROM users WHERE nickname`+c+` >= ? AND nickname`+c+` < ?)`)
		args = append(args, q.Text, q.Text, q.Text, q.Text, q.Text, q.Text+maxCodePoint)
	}
	if len(q.AppIDs) > 0 {
		where = append(where, `app_id IN (?`+strings.Repeat(`, ?`, len(q.AppIDs)-1)+`)`)
		for _, a := range q.AppIDs {
			args = append(args, a)
		}
	}
	if q.Disabled != nil {
		where = append(where, `disabled = ?`)
		args = append(args, *q.Disabled)
	}
	if !q.AfterCreatedAt.IsZero() {
		where = append(where, `(created_at < ? OR (created_at = ? AND id < ?))`)
		args = append(args, s.t(q.AfterCreatedAt), s.t(q.AfterCreatedAt), q.AfterID)
	}
	sql := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, ` AND `)
	}
	sql += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	return sql, append(args, pageSize(q.Limit, defaultUserPage, maxUserPage))
}

// CountUsers counts every user: the console caches it.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	return s.count(ctx, "count users", qCountUsers)
}

// CountNewUsers counts users created in [from, to), on users_created.
func (s *Store) CountNewUsers(ctx context.Context, from, to time.Time) (int64, error) {
	return s.count(ctx, "count new users", qCountNewUsers, s.t(from), s.t(to))
}

// CountLiveSessions counts sessions whose refresh token is still valid.
func (s *Store) CountLiveSessions(ctx context.Context, now time.Time) (int64, error) {
	return s.count(ctx, "count live sessions", qCountLiveSessions, s.t(now))
}

func (s *Store) count(ctx context.Context, op, query string, args ...any) (int64, error) {
	var n int64
	err := s.queryRow(ctx, query, args...).Scan(&n)
	return n, s.wrap(op, err)
}
