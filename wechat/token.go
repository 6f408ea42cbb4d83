package wechat

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miniauth/miniauth"
)

// WeChat's limits on forced refreshes of a stable access token, which we
// apply across the deployment through AccessTokenStore.ReserveForceRefresh.
const (
	forceMinGap = 30 * time.Second
	forcePerDay = 20
)

// tokenManager hands out each app's access token. Tokens live in the shared
// AccessTokenStore; the manager keeps a short-lived local copy so that the hot
// path does not touch the store, fetches at most one token at a time per app
// inside the process (single flight), and takes the store's lock so that at
// most one node of the deployment fetches at a time.
type tokenManager struct {
	store   miniauth.AccessTokenStore
	fetch   func(ctx context.Context, appID string, force bool) (miniauth.AccessToken, error)
	now     func() time.Time
	log     *slog.Logger
	metrics *metrics

	refreshAhead time.Duration // refresh this long before expiry
	localTTL     time.Duration // how long the local copy is trusted
	retryTTL     time.Duration // how long an old token is used before trying to refresh again
	timeout      time.Duration // one outbound call; bounds the polling of losers
	pollEvery    time.Duration // first poll interval of losers; doubles up to maxPoll

	apps map[string]*appToken // one per configured app, made in New, read-only after
}

const maxPoll = 100 * time.Millisecond

type appToken struct {
	local atomic.Pointer[localToken]

	mu      sync.Mutex
	regular slot
	forced  slot
}

type localToken struct {
	tok   miniauth.AccessToken
	until time.Time
}

// slot holds the one refresh in flight, with the key it runs for (the bad
// token of a forced refresh).
type slot struct {
	f   *flight
	key string
}

type flight struct {
	done chan struct{}
	tok  miniauth.AccessToken
	err  error
}

// app returns the state of a configured app; callers have checked appID.
func (m *tokenManager) app(appID string) *appToken { return m.apps[appID] }

// get returns a valid token of the app.
func (m *tokenManager) get(ctx context.Context, appID string) (string, error) {
	a := m.app(appID)
	if l := a.local.Load(); l != nil && m.now().Before(l.until) {
		return l.tok.Value, nil
	}
	tok, err := m.join(ctx, a, &a.regular, "", func(ctx context.Context) (miniauth.AccessToken, error) {
		return m.refresh(ctx, appID, a)
	})
	return tok.Value, err
}

// invalid is told that WeChat rejected token bad (40001/42001) and returns a
// different one: one another caller or node already got, or a forced refresh
// when WeChat's limits allow it.
func (m *tokenManager) invalid(ctx context.Context, appID, bad string) (string, error) {
	a := m.app(appID)
	tok, err := m.join(ctx, a, &a.forced, bad, func(ctx context.Context) (miniauth.AccessToken, error) {
		return m.forceRefresh(ctx, appID, a, bad)
	})
	return tok.Value, err
}

// join runs fn as the slot's flight, or waits for the flight already running
// for the same key. A flight for another key is waited out first. The flight
// runs detached from the caller's context, so that one caller giving up does
// not fail the others; each caller still stops waiting when its ctx ends.
func (m *tokenManager) join(ctx context.Context, a *appToken, s *slot, key string, fn func(context.Context) (miniauth.AccessToken, error)) (miniauth.AccessToken, error) {
	for {
		a.mu.Lock()
		f := s.f
		if f == nil {
			f = &flight{done: make(chan struct{})}
			s.f, s.key = f, key
			go func() {
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.flightTimeout())
				defer cancel()
				f.tok, f.err = fn(fctx)
				a.mu.Lock()
				s.f = nil
				a.mu.Unlock()
				close(f.done)
			}()
		} else if s.key != key {
			a.mu.Unlock()
			select {
			case <-f.done:
				continue
			case <-ctx.Done():
				return miniauth.AccessToken{}, miniauth.WrapError(miniauth.EUpstreamUnavailable, "access token unavailable", ctx.Err())
			}
		}
		a.mu.Unlock()
		select {
		case <-f.done:
			return f.tok, f.err
		case <-ctx.Done():
			return miniauth.AccessToken{}, miniauth.WrapError(miniauth.EUpstreamUnavailable, "access token unavailable", ctx.Err())
		}
	}
}

// refresh is the regular refresh, run as the app's single flight.
func (m *tokenManager) refresh(ctx context.Context, appID string, a *appToken) (miniauth.AccessToken, error) {
	var old miniauth.AccessToken
	delay, deadline := m.pollEvery, time.Now().Add(m.timeout)
	for {
		cur, err := m.store.LoadAccessToken(ctx, appID)
		if err != nil {
			return m.storeFailed(appID, a, "", err)
		}
		if m.fresh(cur) {
			m.setLocal(appID, a, cur)
			return cur, nil
		}
		if m.valid(cur) {
			old = cur
		}
		fence, ok, err := m.store.LockAccessToken(ctx, appID, m.lockTTL())
		if err != nil {
			return m.storeFailed(appID, a, "", err)
		}
		if ok {
			return m.fetchAndSave(ctx, appID, a, fence, false, "")
		}
		// Another node is fetching. Its token will be in the store soon;
		// meanwhile the old one, if still valid, does.
		if m.valid(old) {
			m.setLocal(appID, a, old)
			return old, nil
		}
		if err := m.wait(ctx, &delay, deadline); err != nil {
			m.metrics.tokenErrors.WithLabelValues(appID).Inc()
			return miniauth.AccessToken{}, miniauth.WrapError(miniauth.EUpstreamUnavailable, "access token unavailable", errors.New("timed out waiting for another node's access token refresh"))
		}
	}
}

// forceRefresh replaces token bad, run as the app's single forced flight.
func (m *tokenManager) forceRefresh(ctx context.Context, appID string, a *appToken, bad string) (miniauth.AccessToken, error) {
	delay, deadline := m.pollEvery, time.Now().Add(m.timeout)
	for {
		if l := a.local.Load(); l != nil && l.tok.Value != bad && m.valid(l.tok) {
			return l.tok, nil
		}
		cur, err := m.store.LoadAccessToken(ctx, appID)
		if err != nil {
			return m.storeFailed(appID, a, bad, err)
		}
		if cur.Value != bad && m.valid(cur) {
			m.setLocal(appID, a, cur)
			return cur, nil
		}
		fence, ok, err := m.store.LockAccessToken(ctx, appID, m.lockTTL())
		if err != nil {
			return m.storeFailed(appID, a, bad, err)
		}
		if ok {
			return m.fetchAndSave(ctx, appID, a, fence, true, bad)
		}
		if err := m.wait(ctx, &delay, deadline); err != nil {
			m.metrics.tokenErrors.WithLabelValues(appID).Inc()
			return miniauth.AccessToken{}, miniauth.WrapError(miniauth.EUpstreamUnavailable, "access token unavailable", errors.New("timed out waiting for another node's access token refresh"))
		}
	}
}

// fetchAndSave runs while holding the store's lock under fence. It re-checks
// the store (another node may have just saved a token), fetches, and saves.
// The forced refresh is reserved here, after the lock is taken and the store
// re-checked, so that a refresh that turns out unneeded does not use up one
// of the 20 a day.
func (m *tokenManager) fetchAndSave(ctx context.Context, appID string, a *appToken, fence int64, force bool, bad string) (miniauth.AccessToken, error) {
	unlock := func() {
		if err := m.store.UnlockAccessToken(ctx, appID, fence); err != nil {
			m.log.Warn("wechat access token unlock failed", "appid", appID, "err", err)
		}
	}
	cur, err := m.store.LoadAccessToken(ctx, appID)
	if err != nil {
		unlock()
		return m.storeFailed(appID, a, bad, err)
	}
	if (!force && m.fresh(cur)) || (force && cur.Value != bad && m.valid(cur)) {
		unlock()
		m.setLocal(appID, a, cur)
		return cur, nil
	}
	kind := "regular"
	if force {
		kind = "forced"
		ok, err := m.store.ReserveForceRefresh(ctx, appID, m.now(), forceMinGap, forcePerDay)
		if err != nil {
			unlock()
			return m.storeFailed(appID, a, bad, err)
		}
		if !ok {
			unlock()
			m.metrics.tokenErrors.WithLabelValues(appID).Inc()
			m.log.Warn("wechat access token forced refresh refused by limits", "appid", appID)
			return miniauth.AccessToken{}, miniauth.Errorf(miniauth.EUpstreamUnavailable, "access token refresh limited")
		}
	}
	tok, err := m.fetch(ctx, appID, force)
	if err != nil {
		unlock()
		m.metrics.tokenErrors.WithLabelValues(appID).Inc()
		if !force && m.valid(cur) {
			// Refreshing ahead of expiry failed; the old token still works.
			m.setLocal(appID, a, cur)
			return cur, nil
		}
		return miniauth.AccessToken{}, err
	}
	m.metrics.tokenRefreshes.WithLabelValues(appID, kind).Inc()
	switch err := m.store.SaveAccessToken(ctx, appID, fence, tok); {
	case errors.Is(err, miniauth.ErrFenceLost):
		// Our lock ran out and a newer holder took it: its token wins.
		if latest, lerr := m.store.LoadAccessToken(ctx, appID); lerr == nil && latest.Value != bad && m.valid(latest) {
			tok = latest
		}
	case err != nil:
		m.metrics.tokenErrors.WithLabelValues(appID).Inc()
		m.log.Warn("wechat access token save failed", "appid", appID, "err", err)
		unlock()
	}
	m.setLocal(appID, a, tok)
	return tok, nil
}

// storeFailed falls back to the local copy when the store cannot answer.
func (m *tokenManager) storeFailed(appID string, a *appToken, bad string, err error) (miniauth.AccessToken, error) {
	m.metrics.tokenErrors.WithLabelValues(appID).Inc()
	m.log.Warn("wechat access token store failed", "appid", appID, "err", err)
	if l := a.local.Load(); l != nil && l.tok.Value != bad && m.valid(l.tok) {
		return l.tok, nil
	}
	return miniauth.AccessToken{}, miniauth.WrapError(miniauth.EUpstreamUnavailable, "access token unavailable", err)
}

// wait sleeps for *delay (doubling it up to maxPoll). It fails when ctx ends
// or deadline passes: losers poll only about as long as one call may take.
func (m *tokenManager) wait(ctx context.Context, delay *time.Duration, deadline time.Time) error {
	left := time.Until(deadline)
	if left <= 0 {
		return context.DeadlineExceeded
	}
	t := time.NewTimer(min(*delay, left))
	defer t.Stop()
	*delay = min(*delay*2, maxPoll)
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// setLocal makes tok the local copy until the local TTL runs out or the token
// enters its refresh window. A token already in its window is kept for
// retryTTL, so that a failing refresh is retried now and then, not on every
// call.
func (m *tokenManager) setLocal(appID string, a *appToken, tok miniauth.AccessToken) {
	now := m.now()
	until := now.Add(m.localTTL)
	if r := tok.ExpiresAt.Add(-m.ahead(tok)); r.Before(until) {
		until = r
	}
	if !until.After(now) {
		until = now.Add(m.retryTTL)
		if tok.ExpiresAt.Before(until) {
			until = tok.ExpiresAt
		}
	}
	a.local.Store(&localToken{tok: tok, until: until})
	m.metrics.tokenAge.set(appID, tok.FetchedAt)
}

func (m *tokenManager) valid(tok miniauth.AccessToken) bool {
	return tok.Value != "" && m.now().Before(tok.ExpiresAt)
}

// fresh says whether tok is valid and not yet in its refresh window.
func (m *tokenManager) fresh(tok miniauth.AccessToken) bool {
	return tok.Value != "" && m.now().Before(tok.ExpiresAt.Add(-m.ahead(tok)))
}

// ahead is the refresh window of tok: RefreshAhead, but at most half the
// token's lifetime, so that a short-lived token is not refreshed on every
// call.
func (m *tokenManager) ahead(tok miniauth.AccessToken) time.Duration {
	if !tok.FetchedAt.IsZero() {
		if half := tok.ExpiresAt.Sub(tok.FetchedAt) / 2; half < m.refreshAhead {
			return half
		}
	}
	return m.refreshAhead
}

// lockTTL covers the re-check, one fetch and the save, with room to spare.
func (m *tokenManager) lockTTL() time.Duration { return 2*m.timeout + time.Second }

// flightTimeout bounds one refresh: polling for another node's token, then
// maybe one fetch of our own.
func (m *tokenManager) flightTimeout() time.Duration { return 3*m.timeout + time.Second }
