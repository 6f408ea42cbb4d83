package sqlstore

import (
	"context"
	"strings"

	"github.com/miniauth/miniauth"
)

// bulkRows is how many rows one multi-row INSERT carries: 500 rows of 13
// columns stay far below every engine's limit on bound parameters (SQLite
// 32,766; PostgreSQL and MySQL 65,535), and larger statements were no faster.
const bulkRows = 500

// InsertUsers inserts new users in one transaction with multi-row INSERTs.
// It is for seeding large databases (`miniauth seed`), not for the service:
// a user that already exists fails the whole batch. Callers keep batches to
// tens of thousands of rows so that one transaction stays short.
//
// Each user gets its (AppID, OpenID) as its one WeChat identity. Seeded
// users carry no unionid to join by, so no identity_unions rows are made.
func (s *Store) InsertUsers(ctx context.Context, users []*miniauth.User) error {
	return s.inTx(ctx, "insert users", func(tx *Tx) error {
		err := insertRows(tx, "users", userColumns, 7, len(users), func(i int, args []any) []any {
			u := users[i]
			return append(args, u.ID, u.Nickname, u.AvatarURL, u.Phone, u.Disabled, s.t(u.CreatedAt), s.t(u.UpdatedAt))
		})
		if err != nil {
			return err
		}
		return insertRows(tx, "identities", identityColumns, 6, len(users), func(i int, args []any) []any {
			u := users[i]
			return append(args, miniauth.PlatformWeixin, u.AppID, u.OpenID, u.UnionID, u.ID, s.t(u.CreatedAt))
		})
	})
}

// InsertSessions inserts new sessions in one transaction with multi-row
// INSERTs, for seeding as InsertUsers.
func (s *Store) InsertSessions(ctx context.Context, sessions []*miniauth.Session) error {
	return s.inTx(ctx, "insert sessions", func(tx *Tx) error {
		return insertRows(tx, "sessions", sessionColumns, 13, len(sessions), func(i int, args []any) []any {
			x := sessions[i]
			return append(args, x.ID, x.UserID, x.AppID, x.OpenID, x.SessionKey, x.AccessHash, x.RefreshHash,
				x.UserAgent, x.IP, s.t(x.CreatedAt), s.t(x.LastUsedAt), s.t(x.AccessExpiresAt), s.t(x.RefreshExpiresAt))
		})
	})
}

// insertRows writes n rows into table, bulkRows per statement; row appends
// the values of row i to args.
func insertRows(tx *Tx, table, columns string, width, n int, row func(i int, args []any) []any) error {
	args := make([]any, 0, bulkRows*width)
	for start := 0; start < n; start += bulkRows {
		end := min(n, start+bulkRows)
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		q := "INSERT INTO " + table + " (" + columns + ") VALUES " + placeholders(end-start, width)
		if _, err := tx.tx.ExecContext(tx.ctx, tx.s.d.rebind(q), args...); err != nil {
			return err
		}
	}
	return nil
}

// placeholders is "(?, ?), (?, ?)" for rows rows of width values.
func placeholders(rows, width int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	var b strings.Builder
	b.Grow(rows * (len(one) + 2))
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}
