package miniauth

import (
	"sync"
	"time"
)

// sessionCache keeps recently verified sessions by access-token hash, so that
// the verify hot path needs no store round trip. An entry lives at most ttl
// (and never past its token's expiry): that bounds how long a revocation made
// on another node without SessionEvents can go unnoticed. Revocations on this
// node, and those announced through SessionEvents, drop entries at once.
type sessionCache struct {
	ttl        time.Duration
	maxEntries int

	mu        sync.RWMutex
	byHash    map[string]cacheEntry
	bySession map[string]string // session id -> access hash
}

type cacheEntry struct {
	session *Session
	until   time.Time
}

func newSessionCache(ttl time.Duration, maxEntries int) *sessionCache {
	return &sessionCache{
		ttl:        ttl,
		maxEntries: maxEntries,
		byHash:     make(map[string]cacheEntry),
		bySession:  make(map[string]string),
	}
}

func (c *sessionCache) get(hash string, now time.Time) (*Session, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.byHash[hash]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	return e.session, true
}

func (c *sessionCache) put(hash string, s *Session, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	until := now.Add(c.ttl)
	if s.AccessExpiresAt.Before(until) {
		until = s.AccessExpiresAt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byHash) >= c.maxEntries {
		c.sweepLocked(now)
		if len(c.byHash) >= c.maxEntries {
			// Still full of live entries: start over rather than grow without
			// bound. Entries are only a shortcut; the store has them all.
			c.byHash = make(map[string]cacheEntry)
			c.bySession = make(map[string]string)
		}
	}
	if old, ok := c.bySession[s.ID]; ok && old != hash {
		delete(c.byHash, old)
	}
	c.byHash[hash] = cacheEntry{session: s, until: until}
	c.bySession[s.ID] = hash
}

// drop forgets the sessions with these ids.
func (c *sessionCache) drop(sessionIDs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range sessionIDs {
		if hash, ok := c.bySession[id]; ok {
			delete(c.byHash, hash)
			delete(c.bySession, id)
		}
	}
}

// reset forgets everything, for when change events may have been missed.
func (c *sessionCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byHash = make(map[string]cacheEntry)
	c.bySession = make(map[string]string)
}

// sweep removes expired entries.
func (c *sessionCache) sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweepLocked(now)
}

func (c *sessionCache) sweepLocked(now time.Time) {
	for hash, e := range c.byHash {
		if !now.Before(e.until) {
			delete(c.byHash, hash)
			delete(c.bySession, e.session.ID)
		}
	}
}

func (c *sessionCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.byHash)
}
