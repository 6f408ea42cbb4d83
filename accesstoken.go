package miniauth

import (
	"context"
	"time"
)

// AccessToken is a WeChat server access token of one app.
type AccessToken struct {
	Value     string
	ExpiresAt time.Time
	FetchedAt time.Time
}

// AccessTokenStore shares each app's WeChat access token between the nodes of
// a deployment, with a lock so that one node at a time fetches a new one. The
// redis package implements it; the wechat package has an in-process one for
// deployments without Redis.
type AccessTokenStore interface {
	// LoadAccessToken returns the app's shared token, or a zero AccessToken
	// when there is none.
	LoadAccessToken(ctx context.Context, appID string) (AccessToken, error)

	// LockAccessToken tries to take the app's refresh lock for ttl. It returns
	// a fence, a number that grows with every acquisition, and ok=false when
	// another holder has the lock.
	LockAccessToken(ctx context.Context, appID string, ttl time.Duration) (fence int64, ok bool, err error)

	// SaveAccessToken stores tok and releases the lock, but only if fence is
	// still the newest one taken (a holder whose lock expired meanwhile must
	// not overwrite a newer token): otherwise it stores nothing and returns
	// ErrFenceLost.
	SaveAccessToken(ctx context.Context, appID string, fence int64, tok AccessToken) error

	// UnlockAccessToken releases the lock if fence still holds it.
	UnlockAccessToken(ctx context.Context, appID string, fence int64) error

	// ReserveForceRefresh records one forced refresh at now if WeChat's limits
	// allow it across the whole deployment: at least minGap since the last one
	// and fewer than perDay in the last 24 hours. It answers false otherwise.
	ReserveForceRefresh(ctx context.Context, appID string, now time.Time, minGap time.Duration, perDay int) (bool, error)
}

// ErrFenceLost is returned by SaveAccessToken when the caller's lock was
// taken over by another holder.
var ErrFenceLost = Errorf(EInternal, "access token lock lost to a newer holder")
