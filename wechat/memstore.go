package wechat

import (
	"context"
	"sync"
	"time"

	"github.com/miniauth/miniauth"
)

// MemoryTokenStore is a miniauth.AccessTokenStore for a single process: the
// deployment without Redis. It has the same semantics as the redis one, so
// that several Clients in one process (or one Client's several apps) share a
// token and a lock exactly as several nodes would.
type MemoryTokenStore struct {
	now func() time.Time // lock expiry clock; tests replace it

	mu   sync.Mutex
	apps map[string]*memApp
}

type memApp struct {
	tok       miniauth.AccessToken
	fence     int64     // the newest fence handed out
	holder    int64     // the fence holding the lock, 0 when free
	lockUntil time.Time // when the holder's lock expires
	forced    []time.Time
}

var _ miniauth.AccessTokenStore = (*MemoryTokenStore)(nil)

// NewMemoryTokenStore returns an empty in-process token store.
func NewMemoryTokenStore() *MemoryTokenStore {
	return &MemoryTokenStore{now: time.Now, apps: map[string]*memApp{}}
}

func (s *MemoryTokenStore) app(appID string) *memApp {
	a := s.apps[appID]
	if a == nil {
		a = &memApp{}
		s.apps[appID] = a
	}
	return a
}

// LoadAccessToken returns the app's token, or a zero AccessToken.
func (s *MemoryTokenStore) LoadAccessToken(ctx context.Context, appID string) (miniauth.AccessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[appID]; a != nil {
		return a.tok, nil
	}
	return miniauth.AccessToken{}, nil
}

// LockAccessToken takes the app's refresh lock for ttl unless another holder
// has it and its ttl has not run out.
func (s *MemoryTokenStore) LockAccessToken(ctx context.Context, appID string, ttl time.Duration) (int64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.app(appID)
	now := s.now()
	if a.holder != 0 && now.Before(a.lockUntil) {
		return 0, false, nil
	}
	a.fence++
	a.holder = a.fence
	a.lockUntil = now.Add(ttl)
	return a.fence, true, nil
}

// SaveAccessToken stores tok and releases the lock if fence is the newest
// fence handed out; otherwise it returns miniauth.ErrFenceLost.
func (s *MemoryTokenStore) SaveAccessToken(ctx context.Context, appID string, fence int64, tok miniauth.AccessToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.app(appID)
	if fence != a.fence {
		return miniauth.ErrFenceLost
	}
	a.tok = tok
	if a.holder == fence {
		a.holder = 0
	}
	return nil
}

// UnlockAccessToken releases the lock if fence still holds it.
func (s *MemoryTokenStore) UnlockAccessToken(ctx context.Context, appID string, fence int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[appID]; a != nil && a.holder == fence {
		a.holder = 0
	}
	return nil
}

// ReserveForceRefresh records a forced refresh at now if the last one was at
// least minGap ago and fewer than perDay happened in the 24 hours before now.
func (s *MemoryTokenStore) ReserveForceRefresh(ctx context.Context, appID string, now time.Time, minGap time.Duration, perDay int) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.app(appID)
	dayAgo := now.Add(-24 * time.Hour)
	kept := a.forced[:0]
	for _, t := range a.forced {
		if t.After(dayAgo) {
			kept = append(kept, t)
		}
	}
	a.forced = kept
	if n := len(a.forced); n > 0 && now.Sub(a.forced[n-1]) < minGap {
		return false, nil
	}
	if len(a.forced) >= perDay {
		return false, nil
	}
	a.forced = append(a.forced, now)
	return true, nil
}
