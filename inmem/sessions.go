package inmem

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/miniauth/miniauth"
)

// Sessions is a miniauth.SessionStore in memory: its own truth, like the
// SQL stores (IssuedAt stays zero). It keeps every session until it is
// revoked or DeleteExpired removes it: for tests and one-node trials.
type Sessions struct {
	mu        sync.RWMutex
	byID      map[string]*miniauth.Session
	byAccess  map[string]string     // access hash -> session id
	byRefresh map[string]string     // current refresh hash -> session id
	rotated   map[string]rotatedKey // refresh hashes rotated away
}

var _ miniauth.SessionStore = (*Sessions)(nil)

// rotatedKey is a refresh token rotated away: whose it was and when.
type rotatedKey struct {
	sessionID string
	at        time.Time
}

// NewSessions returns an empty session store.
func NewSessions() *Sessions {
	return &Sessions{
		byID:      map[string]*miniauth.Session{},
		byAccess:  map[string]string{},
		byRefresh: map[string]string{},
		rotated:   map[string]rotatedKey{},
	}
}

// CreateSession stores a copy of x.
func (s *Sessions) CreateSession(_ context.Context, x *miniauth.Session) error {
	if x.ID == "" || x.AccessHash == "" || x.RefreshHash == "" {
		return miniauth.Errorf(miniauth.EInvalidRequest, "a new session needs an id and token hashes")
	}
	c := *x
	for _, t := range []*time.Time{&c.CreatedAt, &c.LastUsedAt, &c.AccessExpiresAt, &c.RefreshExpiresAt} {
		*t = storedTime(*t)
	}
	c.IssuedAt = time.Time{}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[c.ID] = &c
	s.byAccess[c.AccessHash] = c.ID
	s.byRefresh[c.RefreshHash] = c.ID
	return nil
}

// SessionByAccessHash returns the session of the access hash, or ENotFound.
func (s *Sessions) SessionByAccessHash(_ context.Context, accessHash string) (*miniauth.Session, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if x, ok := s.byID[s.byAccess[accessHash]]; ok {
		return clone(x), nil
	}
	return nil, errNoSession
}

// RotateRefresh replaces the session's tokens with r if refreshHash is its
// current, unexpired refresh token; a token rotated away earlier is a
// *miniauth.RefreshReuse.
func (s *Sessions) RotateRefresh(_ context.Context, refreshHash string, r miniauth.Rotation) (*miniauth.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if used, ok := s.rotated[refreshHash]; ok {
		if x, ok := s.byID[used.sessionID]; ok {
			return clone(x), &miniauth.RefreshReuse{RotatedAt: used.at}
		}
	}
	x, ok := s.byID[s.byRefresh[refreshHash]]
	if !ok || !r.At.Before(x.RefreshExpiresAt) {
		return nil, errNoSession
	}
	at := storedTime(r.At)
	delete(s.byAccess, x.AccessHash)
	delete(s.byRefresh, x.RefreshHash)
	s.rotated[refreshHash] = rotatedKey{sessionID: x.ID, at: at}
	x.AccessHash, x.RefreshHash = r.AccessHash, r.RefreshHash
	x.AccessExpiresAt, x.RefreshExpiresAt = storedTime(r.AccessExpiresAt), storedTime(r.RefreshExpiresAt)
	x.LastUsedAt = at
	s.byAccess[x.AccessHash], s.byRefresh[x.RefreshHash] = x.ID, x.ID
	return clone(x), nil
}

// RevokeSession deletes the session with its tokens, rotated ones included.
func (s *Sessions) RevokeSession(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteLocked(id)
	return nil
}

// RevokeUserSessions deletes every session of the user.
func (s *Sessions) RevokeUserSessions(_ context.Context, userID string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := []string{}
	for id, x := range s.byID {
		if x.UserID == userID {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		s.deleteLocked(id)
	}
	return ids, nil
}

// UserSessions returns the user's sessions live at now, newest first.
func (s *Sessions) UserSessions(_ context.Context, userID string, now time.Time) ([]*miniauth.Session, error) {
	s.mu.RLock()
	list := []*miniauth.Session{}
	for _, x := range s.byID {
		if x.UserID == userID && x.RefreshExpiresAt.After(now) {
			list = append(list, clone(x))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(list, func(a, b *miniauth.Session) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return list, nil
}

// TouchSessions sets LastUsedAt of the sessions that exist, never backwards.
func (s *Sessions) TouchSessions(_ context.Context, at time.Time, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if x, ok := s.byID[id]; ok && x.LastUsedAt.Before(storedTime(at)) {
			x.LastUsedAt = storedTime(at)
		}
	}
	return nil
}

// DeleteExpired deletes the sessions whose refresh token expired before
// the given time.
func (s *Sessions) DeleteExpired(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, x := range s.byID {
		if x.RefreshExpiresAt.Before(before) {
			s.deleteLocked(id)
			n++
		}
	}
	return n, nil
}

// Ping always answers: memory does not go away.
func (s *Sessions) Ping(context.Context) error { return nil }

// deleteLocked forgets the session and every hash that names it; s.mu is
// held for writing.
func (s *Sessions) deleteLocked(id string) {
	x, ok := s.byID[id]
	if !ok {
		return
	}
	delete(s.byID, id)
	delete(s.byAccess, x.AccessHash)
	delete(s.byRefresh, x.RefreshHash)
	for hash, used := range s.rotated {
		if used.sessionID == id {
			delete(s.rotated, hash)
		}
	}
}

var errNoSession = miniauth.Errorf(miniauth.ENotFound, "session not found")
