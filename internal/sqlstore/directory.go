package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
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
	qCountLiveSessions = `SELECT COUNT(*) FROM sessions WHERE refresh_expires_at > ?`
	// maxCodePoint ends the range of a nickname prefix: in byte order
	// (UTF-8, binary collations) no character sorts after it.
	maxCodePoint = "\U0010FFFF"
)

// SearchUsers returns a page of users matching q, newest first. A text is
// looked up in two queries whose pages are merged: the exact fields (id,
// phone, openid in each app, unionid in each platform; see exactMatch) as
// a UNION of one indexed lookup each, and the nickname prefix as a range. The filters and the page's keyset apply to
// both; with no text the query follows the (…, created_at, id) indexes.
func (s *Store) SearchUsers(ctx context.Context, q miniauth.UserQuery) ([]*miniauth.User, error) {
	limit := pageSize(q.Limit, miniauth.DefaultUserPage, miniauth.MaxUserPage)
	if q.Text == "" {
		users, err := s.searchPage(ctx, "", nil, q, limit)
		if err != nil {
			return nil, err
		}
		return s.withIdentities(ctx, users)
	}
	apps, err := s.identityApps(ctx)
	if err != nil {
		return nil, s.wrap("search users", err)
	}
	match, args := exactMatch(q.Text, apps)
	exact, err := s.searchPage(ctx, match, args, q, limit)
	if err != nil {
		return nil, err
	}
	byName, err := s.searchNickname(ctx, q, limit)
	if err != nil {
		return nil, err
	}
	return s.withIdentities(ctx, mergePages(exact, byName, limit))
}

// withIdentities fills in a page's identities (openid, app and platform in
// view come from them).
func (s *Store) withIdentities(ctx context.Context, users []*miniauth.User) ([]*miniauth.User, error) {
	if err := s.addIdentities(ctx, users); err != nil {
		return nil, s.wrap("search users", err)
	}
	return users, nil
}

// commonPrefix is how many nicknames a prefix may match before the search
// stops reading them through the nickname index (and sorting them all by
// time) and walks the users newest first instead, which finds a page of a
// common prefix within a few hundred rows.
const commonPrefix = 1000

const qCountNicknamePrefix = `SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE nickname%[1]s >= ? AND nickname%[1]s < ? AND nickname <> '' LIMIT %[2]d) m`

func (s *Store) searchNickname(ctx context.Context, q miniauth.UserQuery, limit int) ([]*miniauth.User, error) {
	c := s.d.ByteOrder
	lo, hi := q.Text, q.Text+maxCodePoint
	n, err := s.count(ctx, "search users", fmt.Sprintf(qCountNicknamePrefix, c, commonPrefix+1), lo, hi)
	if err != nil {
		return nil, err
	}
	col := `nickname` + c
	if n > commonPrefix {
		col = s.d.NotIndexed(`nickname`) + c
	}
	return s.searchPage(ctx, col+` >= ? AND `+col+` < ? AND nickname <> ''`, []any{lo, hi}, q, limit)
}

// searchPage runs one page of a search: match (with its args) and q's filters.
func (s *Store) searchPage(ctx context.Context, match string, args []any, q miniauth.UserQuery, limit int) ([]*miniauth.User, error) {
	var where []string
	if match != "" {
		where = append(where, match)
	}
	if len(q.AppIDs) > 0 {
		// A platform or an app: the users with an identity there, checked
		// per user through identities_user while the users are walked
		// newest first, so that a page stops after enough matches. (As
		// "id IN (SELECT user_id …)", SQLite read every identity of the
		// app and sorted their users: 0.9 s for 125,000 of a million.)
		where = append(where, `EXISTS (SELECT 1 FROM identities i WHERE i.user_id = users.id AND i.app_id IN (?`+
			strings.Repeat(`, ?`, len(q.AppIDs)-1)+`))`)
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
	query := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	rows, err := s.query(ctx, query, append(args, limit)...)
	if err != nil {
		return nil, s.wrap("search users", err)
	}
	return collect(rows, scanUser, s.wrapper("search users"))
}

// mergePages merges two pages sorted newest first into one of at most
// limit users, each once.
func mergePages(a, b []*miniauth.User, limit int) []*miniauth.User {
	seen := map[string]bool{}
	out := make([]*miniauth.User, 0, min(len(a)+len(b), limit))
	for _, u := range append(a, b...) {
		if !seen[u.ID] {
			seen[u.ID] = true
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(x, y *miniauth.User) int {
		return cmp.Or(y.CreatedAt.Compare(x.CreatedAt), strings.Compare(y.ID, x.ID))
	})
	return out[:min(len(out), limit)]
}

// CountUsers counts every user: the console caches it.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	return s.count(ctx, "count users", qCountUsers)
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
