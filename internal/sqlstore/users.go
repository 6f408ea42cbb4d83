package sqlstore

import (
	"context"
	"database/sql"

	"github.com/miniauth/miniauth"
)

// userColumns are the account's own; its identities are in identities.go.
const userColumns = `id, nickname, avatar_url, phone, disabled, created_at, updated_at`

const (
	qInsertUser   = `INSERT INTO users (` + userColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	qUserDisabled = `SELECT disabled FROM users WHERE id = ?`
	// COALESCE keeps a column whose new value is NULL (a nil field of
	// UserUpdate), so that one prepared statement serves every update.
	qUpdateUser = `UPDATE users SET nickname = COALESCE(?, nickname), avatar_url = COALESCE(?, avatar_url),
		phone = COALESCE(?, phone), disabled = COALESCE(?, disabled), updated_at = ? WHERE id = ?`
	qListUsers = `SELECT ` + userColumns + ` FROM users ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
	// The users with an identity in an app, through identities' index on
	// (user_id, app_id).
	qListAppUsers = `SELECT ` + userColumns + ` FROM users u WHERE EXISTS
		(SELECT 1 FROM identities i WHERE i.user_id = u.id AND i.app_id = ?)
		ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner) (*miniauth.User, error) {
	var u miniauth.User
	err := row.Scan(&u.ID, &u.Nickname, &u.AvatarURL, &u.Phone, &u.Disabled, msTime{&u.CreatedAt}, msTime{&u.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// UserByID returns the user or ENotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*miniauth.User, error) {
	u, err := loadUser(s.reads(ctx), id, nil)
	if err != nil {
		return nil, s.wrap("user by id", err)
	}
	return u, nil
}

// UserDisabled reports whether the user is disabled, or ENotFound.
func (s *Store) UserDisabled(ctx context.Context, id string) (bool, error) {
	var disabled bool
	if err := s.queryRow(ctx, qUserDisabled, id).Scan(&disabled); err != nil {
		if isNoRows(err) {
			return false, notFound("user")
		}
		return false, s.wrap("user disabled", err)
	}
	return disabled, nil
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
		u, err = loadUser(tx, id, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// ListUsers returns users matching f, newest first.
func (s *Store) ListUsers(ctx context.Context, f miniauth.UserFilter) ([]*miniauth.User, error) {
	limit := pageSize(f.Limit, miniauth.DefaultUserPage, miniauth.MaxUserPage)
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
	rows.Close()
	if err := s.addIdentities(ctx, users); err != nil {
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
