package inmem

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/miniauth/miniauth"
)

// WebLogins is a miniauth.WebLoginStore in memory: a ticket per hash, every
// compare and swap under one lock.
type WebLogins struct {
	mu      sync.Mutex
	tickets map[string]*miniauth.WebLogin
}

var _ miniauth.WebLoginStore = (*WebLogins)(nil)

// NewWebLogins returns an empty ticket store.
func NewWebLogins() *WebLogins { return &WebLogins{tickets: map[string]*miniauth.WebLogin{}} }

var errNoWebLogin = miniauth.Errorf(miniauth.ENotFound, "web login not found")

// CreateWebLogin stores a copy of w.
func (s *WebLogins) CreateWebLogin(_ context.Context, w *miniauth.WebLogin) error {
	if w.Hash == "" {
		return miniauth.Errorf(miniauth.EInvalidRequest, "a new web login needs a ticket hash")
	}
	c := clone(w)
	c.CreatedAt, c.ExpiresAt = storedTime(c.CreatedAt), storedTime(c.ExpiresAt)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickets[c.Hash] = c
	return nil
}

// WebLogin returns the ticket with this hash, or ENotFound.
func (s *WebLogins) WebLogin(_ context.Context, hash string) (*miniauth.WebLogin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.tickets[hash]
	if !ok {
		return nil, errNoWebLogin
	}
	return clone(w), nil
}

// AdvanceWebLogin applies c if the ticket's status is one of from and it
// has not expired at c.At.
func (s *WebLogins) AdvanceWebLogin(_ context.Context, hash string, from []string, c miniauth.WebLoginChange) (*miniauth.WebLogin, bool, error) {
	return s.cas(hash, func(w *miniauth.WebLogin) bool {
		if !slices.Contains(from, w.Status) || !c.At.Before(w.ExpiresAt) {
			return false
		}
		w.Status, w.UserID, w.UserAppID, w.OpenID = c.Status, c.UserID, c.UserAppID, c.OpenID
		return true
	})
}

// ClaimWebLogin marks the tokens of a confirmed, unexpired ticket
// delivered, once.
func (s *WebLogins) ClaimWebLogin(_ context.Context, hash string, at time.Time) (*miniauth.WebLogin, bool, error) {
	return s.cas(hash, func(w *miniauth.WebLogin) bool {
		if w.Status != miniauth.WebLoginConfirmed || w.Delivered || !at.Before(w.ExpiresAt) {
			return false
		}
		w.Delivered = true
		return true
	})
}

// UnclaimWebLogin undoes a claim; an unknown ticket is no error.
func (s *WebLogins) UnclaimWebLogin(_ context.Context, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.tickets[hash]; ok {
		w.Delivered = false
	}
	return nil
}

// DeleteExpiredWebLogins deletes tickets that expired before the time.
func (s *WebLogins) DeleteExpiredWebLogins(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for hash, w := range s.tickets {
		if w.ExpiresAt.Before(before) {
			delete(s.tickets, hash)
			n++
		}
	}
	return n, nil
}

// cas lets change decide, under the lock, whether to change the ticket,
// and returns a copy of it after the call.
func (s *WebLogins) cas(hash string, change func(*miniauth.WebLogin) bool) (*miniauth.WebLogin, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.tickets[hash]
	if !ok {
		return nil, false, errNoWebLogin
	}
	changed := change(w)
	return clone(w), changed, nil
}
