package miniauth

import (
	"context"
	"time"
)

// User is one account: one person, who logs in through one or more
// Identities (an openid in a mini program of some platform).
type User struct {
	ID string

	// AppID, OpenID and UnionID are the identity in view: the one a
	// session logged in with (the service sets them so), or, as a store
	// answers, the identity looked up or else the account's first.
	AppID   string
	OpenID  string
	UnionID string

	// Identities are every way this account logs in, oldest first.
	Identities []Identity

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

// The page sizes of ListUsers: DefaultUserPage when UserFilter.Limit is 0,
// and never more than MaxUserPage.
const (
	DefaultUserPage = 50
	MaxUserPage     = 100
)

// UserFilter selects users for listing, newest first.
type UserFilter struct {
	AppID  string // users with an identity in this app; empty: every app
	Offset int
	Limit  int // 0: DefaultUserPage; at most MaxUserPage
}

// UserStore keeps users. Implementations: sqlite, postgres, mysql. Times are
// passed in by the caller; stores keep them at (at least) millisecond
// precision, in UTC.
type UserStore interface {
	// FindOrCreateByIdentity returns the account of the identity id
	// (platform, appid, openid). A new identity whose unionid is that of
	// an identity of the same platform joins that account; any other new
	// identity gets a new account, newUser as given (ID, profile, times),
	// and created is true. A stored identity without unionid gets id's.
	// The identity is stored with CreatedAt newUser.CreatedAt. Concurrent
	// calls for one identity, or for new identities with one unionid,
	// create exactly one account. The answer's identity in view is id.
	FindOrCreateByIdentity(ctx context.Context, id Identity, newUser *User) (user *User, created bool, err error)

	// LinkIdentity adds the identity to the account and returns the
	// account. Linking an identity the account already has changes
	// nothing. Errors: EConflict (the identity belongs to another
	// account, or the account has another identity in that app),
	// ENotFound (no such account).
	LinkIdentity(ctx context.Context, userID string, id Identity) (*User, error)

	// UnlinkIdentity removes the account's identity in the app appID and
	// returns it. Errors: ENotFound (no identity there), EConflict (it is
	// the account's last).
	UnlinkIdentity(ctx context.Context, userID, appID string) (*Identity, error)

	// UserByID returns the user or ENotFound.
	UserByID(ctx context.Context, id string) (*User, error)

	// UserDisabled reports whether the user is disabled, or ENotFound: the
	// flag alone, which a login reads again after storing its session.
	UserDisabled(ctx context.Context, id string) (bool, error)

	// UpdateUser applies upd and returns the updated user, or ENotFound.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)

	// ListUsers returns users matching f, newest first.
	ListUsers(ctx context.Context, f UserFilter) ([]*User, error)

	// Ping reports whether the store answers (for readiness).
	Ping(ctx context.Context) error
}
