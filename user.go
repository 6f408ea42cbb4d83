package miniauth

import (
	"context"
	"time"
)

// User is one person in one mini program: (AppID, OpenID) is unique.
type User struct {
	ID        string
	AppID     string
	OpenID    string
	UnionID   string // empty until WeChat reports one
	Nickname  string
	AvatarURL string
	Phone     string // pure number, e.g. 13800138000; foreign numbers keep their country code
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UserUpdate lists the fields to change; nil fields are left alone.
type UserUpdate struct {
	Nickname  *string
	AvatarURL *string
	Phone     *string
	Disabled  *bool
	UpdatedAt time.Time
}

// UserFilter selects users for listing, newest first.
type UserFilter struct {
	AppID  string // empty: every app
	Offset int
	Limit  int // 0: a default chosen by the store (at most 100)
}

// UserStore keeps users. Implementations: sqlite, postgres, mysql. Times are
// passed in by the caller; stores keep them at (at least) millisecond
// precision, in UTC.
type UserStore interface {
	// FindOrCreateUser returns the user with u.AppID and u.OpenID, inserting u
	// as given (ID, times) when there is none; created says which. When the
	// stored user has no unionid and u has one, it is filled in. Concurrent
	// calls for one (appid, openid) create exactly one user.
	FindOrCreateUser(ctx context.Context, u *User) (user *User, created bool, err error)

	// UserByID returns the user or ENotFound.
	UserByID(ctx context.Context, id string) (*User, error)

	// UpdateUser applies upd and returns the updated user, or ENotFound.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)

	// ListUsers returns users matching f, newest first.
	ListUsers(ctx context.Context, f UserFilter) ([]*User, error)

	// Ping reports whether the store answers (for readiness).
	Ping(ctx context.Context) error
}
