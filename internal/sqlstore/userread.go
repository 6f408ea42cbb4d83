package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/miniauth/miniauth"
)

// Reading accounts with their identities: one account (loadUser), a page of
// them (addIdentities), or the one a first login just made (createdUser).

// rowReader reads through the read pool or inside a transaction (*Tx).
type rowReader interface {
	queryRow(query string, args ...any) *sql.Row
	query(query string, args ...any) (*sql.Rows, error)
}

type poolReader struct {
	s   *Store
	ctx context.Context
}

func (s *Store) reads(ctx context.Context) poolReader { return poolReader{s, ctx} }

func (p poolReader) queryRow(q string, args ...any) *sql.Row { return p.s.queryRow(p.ctx, q, args...) }
func (p poolReader) query(q string, args ...any) (*sql.Rows, error) {
	return p.s.query(p.ctx, q, args...)
}

// loadUser reads the account and its identities in one statement, so that
// both come from one snapshot at the cost of one read; view names the
// identity in view (nil: the first).
func loadUser(r rowReader, id string, view *miniauth.Identity) (*miniauth.User, error) {
	rows, err := r.query(qUserWithIdentities, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var u *miniauth.User
	for rows.Next() {
		var row miniauth.User
		var x struct{ platform, appID, openID, unionID sql.NullString }
		var linked time.Time
		err := rows.Scan(&row.ID, &row.Nickname, &row.AvatarURL, &row.Phone, &row.Disabled, msTime{&row.CreatedAt}, msTime{&row.UpdatedAt},
			&x.platform, &x.appID, &x.openID, &x.unionID, msTime{&linked})
		if err != nil {
			return nil, err
		}
		if u == nil {
			u = &row
		}
		if x.platform.Valid { // else an account without identities: one row, NULLs on their side
			u.Identities = append(u.Identities, miniauth.Identity{Platform: x.platform.String, AppID: x.appID.String,
				OpenID: x.openID.String, UnionID: x.unionID.String, CreatedAt: linked})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if u == nil {
		return nil, notFound("user")
	}
	setView(u, view)
	return u, nil
}

// setView makes view (or else the first identity) the user's identity in view.
func setView(u *miniauth.User, view *miniauth.Identity) {
	for _, x := range u.Identities {
		if view == nil || x.Platform == view.Platform && x.AppID == view.AppID && x.OpenID == view.OpenID {
			u.AppID, u.OpenID, u.UnionID = x.AppID, x.OpenID, x.UnionID
			return
		}
	}
}

// addIdentities fills in the identities of a page of users, in one query.
func (s *Store) addIdentities(ctx context.Context, users []*miniauth.User) error {
	if len(users) == 0 {
		return nil
	}
	byID := make(map[string]*miniauth.User, len(users))
	args := make([]any, 0, len(users))
	for _, u := range users {
		byID[u.ID] = u
		args = append(args, u.ID)
	}
	q := `SELECT ` + identityColumns + ` FROM identities WHERE user_id IN (?` + strings.Repeat(", ?", len(users)-1) +
		`) ORDER BY created_at, platform, app_id, openid`
	rows, err := s.r.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		x, err := scanIdentity(rows)
		if err != nil {
			return err
		}
		u := byID[x.UserID]
		u.Identities = append(u.Identities, x.Identity)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range users {
		setView(u, nil)
	}
	return nil
}

// createdUser is the account a first login just inserted, as a read would
// return it (times at the stored precision): with its one identity, the
// commit's state, so a new user's login costs no read of what it wrote.
func createdUser(newUser *miniauth.User, id miniauth.Identity) *miniauth.User {
	u := *newUser
	u.CreatedAt = newUser.CreatedAt.UTC().Truncate(time.Millisecond)
	u.UpdatedAt = newUser.UpdatedAt.UTC().Truncate(time.Millisecond)
	id.CreatedAt = u.CreatedAt
	u.Identities = []miniauth.Identity{id}
	setView(&u, &id)
	return &u
}
