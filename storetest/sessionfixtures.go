package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
)

// Session fixtures: new sessions and rotations, and comparing sessions as
// stores keep them.

// NewSession is a session fixture of the user, created at at (kept at the
// millisecond precision, in UTC, that every store keeps): random id and
// token hashes, tokens expiring as the defaults say.
func NewSession(userID string, at time.Time) *miniauth.Session {
	at = at.Truncate(time.Millisecond).UTC()
	return &miniauth.Session{
		ID:               miniauth.NewID(),
		UserID:           userID,
		AppID:            "app1",
		OpenID:           "openid-" + userID,
		SessionKey:       "c2Vzc2lvbi1rZXktMTIzNA==",
		AccessHash:       miniauth.HashToken(miniauth.NewID()),
		RefreshHash:      miniauth.HashToken(miniauth.NewID()),
		UserAgent:        "Mozilla/5.0 MicroMessenger/8.0",
		IP:               "203.0.113.7",
		CreatedAt:        at,
		LastUsedAt:       at,
		AccessExpiresAt:  at.Add(2 * time.Hour),
		RefreshExpiresAt: at.Add(30 * 24 * time.Hour),
		IssuedAt:         at,
	}
}

// created stores x in s, or fails the test.
func created(t *testing.T, c context.Context, s miniauth.SessionStore, x *miniauth.Session) *miniauth.Session {
	t.Helper()
	if err := s.CreateSession(c, x); err != nil {
		t.Fatal(err)
	}
	return x
}

// NewRotation is a refresh at at, with new random token hashes.
func NewRotation(at time.Time) miniauth.Rotation {
	at = at.Truncate(time.Millisecond).UTC()
	return miniauth.Rotation{
		AccessHash:       miniauth.HashToken(miniauth.NewID()),
		RefreshHash:      miniauth.HashToken(miniauth.NewID()),
		AccessExpiresAt:  at.Add(2 * time.Hour),
		RefreshExpiresAt: at.Add(30 * 24 * time.Hour),
		At:               at,
	}
}

func sameSession(t *testing.T, got, want *miniauth.Session) {
	t.Helper()
	if got == nil {
		t.Fatalf("session is nil, want %+v", *want)
	}
	w := *want
	for _, p := range []*time.Time{&w.CreatedAt, &w.LastUsedAt, &w.AccessExpiresAt, &w.RefreshExpiresAt} {
		*p = ms(*p)
	}
	g := *got
	times := []time.Time{g.CreatedAt, g.LastUsedAt, g.AccessExpiresAt, g.RefreshExpiresAt}
	for i, wt := range []time.Time{w.CreatedAt, w.LastUsedAt, w.AccessExpiresAt, w.RefreshExpiresAt} {
		if !times[i].Equal(wt) {
			t.Fatalf("session time %d: got %v, want %v", i, times[i], wt)
		}
	}
	g.CreatedAt, g.LastUsedAt, g.AccessExpiresAt, g.RefreshExpiresAt = w.CreatedAt, w.LastUsedAt, w.AccessExpiresAt, w.RefreshExpiresAt
	// IssuedAt is kept by the stores that may lose data (zero from the
	// others): when kept, it is the creation's or the last rotation's.
	if !g.IssuedAt.IsZero() && !g.IssuedAt.Equal(ms(w.IssuedAt)) {
		t.Fatalf("session issued at %v, want %v", g.IssuedAt, ms(w.IssuedAt))
	}
	g.IssuedAt = w.IssuedAt
	if g != w {
		t.Fatalf("session\n got %+v\nwant %+v", g, w)
	}
}
