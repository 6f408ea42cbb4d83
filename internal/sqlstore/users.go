package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/miniauth/miniauth"
)

const userColumns = `id, app_id, openid, unionid, nickname, avatar_url, phone, disabled, created_at, updated_at`

const (
	qUserByID     = `SELECT ` + userColumns + ` FROM users WHERE id = ?`
	qUserByOpenID = `SELECT ` + userColumns + ` FROM users WHERE app_id = ? AND openid = ?`
	qFillUnionID  = `UPDATE users SET unionid = ?, updated_at = ? WHERE id = ? AND unionid = ''`
	// COALESCE keeps a column whose new value is NULL (a nil field of
	// UserUpdate), so that one prepared statement serves every update.
	qUpdateUser = `UPDATE users SET nickname = COALESCE(?, nickname), avatar_url = COALESCE(?, avatar_url),
		phone = COALESCE(?, phone), disabled = COALESCE(?, disabled), updated_at = ? WHERE id = ?`
	qListUsers      = `SELECT ` + userColumns + ` FROM users ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
	qListAppUsers   = `SELECT ` + userColumns + ` FROM users WHERE app_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
	defaultUserPage = 50
	maxUserPage     = 100
)

func (s *Store) qInsertUser() string {
	return `INSERT INTO users (` + userColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ` + s.d.InsertIgnoreUser
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner) (*miniauth.User, error) {
	var u miniauth.User
	err := row.Scan(&u.ID, &u.AppID, &u.OpenID, &u.UnionID, &u.Nickname, &u.AvatarURL, &u.Phone,
		&u.Disabled, msTime{&u.CreatedAt}, msTime{&u.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// FindOrCreateUser returns the user with u.AppID and u.OpenID, inserting u
// when there is none. A returning user is one read on the read pool; only a
// first login (or a unionid to fill in) writes. The write is an INSERT that
// ignores a duplicate (app_id, openid) followed by a SELECT, so that
// concurrent first logins make one user and all of them return it.
func (s *Store) FindOrCreateUser(ctx context.Context, u *miniauth.User) (*miniauth.User, bool, error) {
	if u.ID == "" || u.AppID == "" || u.OpenID == "" {
		return nil, false, miniauth.Errorf(miniauth.EInvalidRequest, "a new user needs an id, an app id and an openid")
	}
	got, err := scanUser(s.queryRow(ctx, qUserByOpenID, u.AppID, u.OpenID))
	switch {
	case err == nil && (u.UnionID == "" || got.UnionID != ""):
		return got, false, nil
	case err != nil && !isNoRows(err):
		return nil, false, s.wrap("find user", err)
	case err != nil:
		// A first login, most likely: one statement, no transaction, no
		// read back (the row is u). Only when another login inserted the
		// user first does the transaction below read it.
		created, err := s.insertUser(ctx, u)
		if err != nil {
			return nil, false, s.wrap("create user", err)
		}
		if created {
			return stored(u), true, nil
		}
	}

	var created bool
	err = s.inTx(ctx, "find or create user", func(tx *Tx) error {
		var err error
		got, created, err = tx.findOrCreateUser(u)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return got, created, nil
}

// insertUser inserts u unless a user with its (app_id, openid) exists, and
// says whether it did.
func (s *Store) insertUser(ctx context.Context, u *miniauth.User) (bool, error) {
	res, err := s.execW(ctx, s.qInsertUser(), u.ID, u.AppID, u.OpenID, u.UnionID, u.Nickname, u.AvatarURL,
		u.Phone, u.Disabled, s.t(u.CreatedAt), s.t(u.UpdatedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// stored is u as the store keeps it: times in UTC at millisecond precision.
func stored(u *miniauth.User) *miniauth.User {
	c := *u
	c.CreatedAt = u.CreatedAt.UTC().Truncate(time.Millisecond)
	c.UpdatedAt = u.UpdatedAt.UTC().Truncate(time.Millisecond)
	return &c
}

func (tx *Tx) findOrCreateUser(u *miniauth.User) (*miniauth.User, bool, error) {
	s := tx.s
	res, err := tx.exec(s.qInsertUser(), u.ID, u.AppID, u.OpenID, u.UnionID, u.Nickname, u.AvatarURL,
		u.Phone, u.Disabled, s.t(u.CreatedAt), s.t(u.UpdatedAt))
	if err != nil {
		return nil, false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, false, err
	}
	got, err := scanUser(tx.queryRow(qUserByOpenID+s.d.ForUpdate, u.AppID, u.OpenID))
	if err != nil {
		return nil, false, err
	}
	created := n == 1
	if !created && got.UnionID == "" && u.UnionID != "" {
		// WeChat reports a unionid once the mini program is bound to an
		// Open Platform account: keep it from then on.
		if _, err := tx.exec(qFillUnionID, u.UnionID, s.t(u.UpdatedAt), got.ID); err != nil {
			return nil, false, err
		}
		got.UnionID = u.UnionID
		got.UpdatedAt = u.UpdatedAt.UTC().Truncate(time.Millisecond)
	}
	return got, created, nil
}

// UserByID returns the user or ENotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*miniauth.User, error) {
	u, err := scanUser(s.queryRow(ctx, qUserByID, id))
	if isNoRows(err) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, s.wrap("user by id", err)
	}
	return u, nil
}

// UpdateUser applies upd and returns the updated user, or ENotFound.
func (s *Store) UpdateUser(ctx context.Context, id string, upd miniauth.UserUpdate) (*miniauth.User, error) {
	at := upd.UpdatedAt
	if at.IsZero() {
		at = s.now()
	}
	var u *miniauth.User
	err := s.inTx(ctx, "update user", func(tx *Tx) error {
		// Rows affected cannot tell "not found": MySQL counts changed rows
		// only. The SELECT in the same transaction can.
		_, err := tx.exec(qUpdateUser, nullString(upd.Nickname), nullString(upd.AvatarURL),
			nullString(upd.Phone), nullBool(upd.Disabled), s.t(at), id)
		if err != nil {
			return err
		}
		u, err = scanUser(tx.queryRow(qUserByID, id))
		if isNoRows(err) {
			return notFound("user")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// ListUsers returns users matching f, newest first.
func (s *Store) ListUsers(ctx context.Context, f miniauth.UserFilter) ([]*miniauth.User, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultUserPage
	}
	limit = min(limit, maxUserPage)
	offset := max(f.Offset, 0)
	var rows *sql.Rows
	var err error
	if f.AppID == "" {
		rows, err = s.query(ctx, qListUsers, limit, offset)
	} else {
		rows, err = s.query(ctx, qListAppUsers, f.AppID, limit, offset)
	}
	if err != nil {
		return nil, s.wrap("list users", err)
	}
	defer rows.Close()
	users := []*miniauth.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, s.wrap("list users", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list users", err)
	}
	return users, nil
}

func nullString(p *string) sql.NullString {
	if p == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *p, Valid: true}
}

func nullBool(p *bool) sql.NullBool {
	if p == nil {
		return sql.NullBool{}
	}
	return sql.NullBool{Bool: *p, Valid: true}
}
