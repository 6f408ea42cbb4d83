package miniauth

import (
	"sync"
	"time"
)

// sessionCache keeps recently verified sessions by access token, so that
// the verify hot path needs no store round trip and, on a hit, not even the
// token's hash. (The raw token is in this process's memory anyway while its
// request is served; the stores keep only hashes.) An entry lives at most ttl
// (and never past its token's expiry): that bounds how long a revocation made
// on another node without SessionEvents can go unnoticed. Revocations on this
// node, and those announced through SessionEvents, drop entries at once.
type sessionCache struct {
	ttl        time.Duration
	maxEntries int

	mu        sync.RWMutex
	byToken   map[string]cacheEntry
	bySession map[string]string // session id -> access token
}

type cacheEntry struct {
	session *Session
	until   time.Time
}

func newSessionCache(ttl time.Duration, maxEntries int) *sessionCache {
	return &sessionCache{
		ttl:        ttl,
		maxEntries: maxEntries,
		byToken:    make(map[string]cacheEntry),
		bySession:  make(map[string]string),
	}
}

func (c *sessionCache) get(token string, now time.Time) (*Session, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.byToken[token]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	return e.session, true
}

func (c *sessionCache) put(token string, s *Session, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	until := now.Add(c.ttl)
	if s.AccessExpiresAt.Before(until) {
		until = s.AccessExpiresAt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byToken) >= c.maxEntries {
		c.sweepLocked(now)
		if len(c.byToken) >= c.maxEntries {
			// Still full of live entries: start over rather than grow without
			// bound. Entries are only a shortcut; the store has them all.
			c.byToken = make(map[string]cacheEntry)
			c.bySession = make(map[string]string)
		}
	}
	if old, ok := c.bySession[s.ID]; ok && old != token {
		delete(c.byToken, old)
	}
	c.byToken[token] = cacheEntry{session: s, until: until}
	c.bySession[s.ID] = token
}

// drop forgets the sessions with these ids.
func (c *sessionCache) drop(sessionIDs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range sessionIDs {
		if token, ok := c.bySession[id]; ok {
			delete(c.byToken, token)
			delete(c.bySession, id)
		}
	}
}

// reset forgets everything, for when change events may have been missed.
func (c *sessionCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byToken = make(map[string]cacheEntry)
	c.bySession = make(map[string]string)
}

// sweep removes expired entries.
func (c *sessionCache) sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweepLocked(now)
}

func (c *sessionCache) sweepLocked(now time.Time) {
	for token, e := range c.byToken {
		if !now.Before(e.until) {
			delete(c.byToken, token)
			delete(c.bySession, e.session.ID)
		}
	}
}

func (c *sessionCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.byToken)
}
