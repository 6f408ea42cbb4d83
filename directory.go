package miniauth

import (
	"context"
	"time"
)

// UserQuery searches users for the console, newest first, a page at a
// time. Text, when set, matches a user whose id, openid, unionid or phone
// equals it, or whose nickname starts with it.
type UserQuery struct {
	Text     string
	AppIDs   []string // empty: every app (a platform is the set of its apps)
	Disabled *bool    // nil: both

	// After pages on: users strictly older than (AfterCreatedAt, AfterID).
	AfterCreatedAt time.Time
	AfterID        string
	Limit          int // 0: a default chosen by the store (at most 100)
}

// UserDirectory answers the console's questions about users. Every query
// goes through an index; none counts the whole table on a page load except
// CountUsers, which the console caches. Implementations: sqlite, postgres,
// mysql.
type UserDirectory interface {
	// SearchUsers returns a page of users matching q, newest first.
	SearchUsers(ctx context.Context, q UserQuery) ([]*User, error)
	// CountUsers returns how many users exist.
	CountUsers(ctx context.Context) (int64, error)
}

// LiveSessionCounter counts the sessions whose refresh token has not
// expired at now. The SQL session stores implement it; Redis does not
// (the console then shows no figure).
type LiveSessionCounter interface {
	CountLiveSessions(ctx context.Context, now time.Time) (int64, error)
}
