package miniauth

import (
	"sync"
	"sync/atomic"
	"time"
)

// sessionCache keeps recently verified sessions by access token, so that
// the verify hot path needs no store round trip and, on a hit, not even the
// token's hash. (The raw token is in this process's memory anyway while its
// request is served; the stores keep only hashes.) An entry lives at most ttl
// (and never past its token's expiry): that bounds how long a revocation made
// on another node without SessionEvents can go unnoticed. Revocations on this
// node, and those announced through SessionEvents, drop entries at once.
// When full, the least recently used session makes room.
type sessionCache struct {
	ttl time.Duration

	mu        sync.Mutex
	byToken   *lru[*Session]
	bySession map[string]string // session id -> access token
	gen       uint64            // counts drops: see put

	// For /metrics: answers from the cache, tokens it did not hold (the
	// store was asked), and times it was emptied whole.
	hits, misses, resets atomic.Uint64
}

func newSessionCache(ttl time.Duration, maxEntries int) *sessionCache {
	c := &sessionCache{ttl: ttl, bySession: make(map[string]string)}
	c.byToken = newLRU(maxEntries, func(token string, s *Session) {
		if c.bySession[s.ID] == token {
			delete(c.bySession, s.ID)
		}
	})
	return c
}

func (c *sessionCache) get(token string, now time.Time) (*Session, bool) {
	if c.ttl <= 0 {
		c.misses.Add(1)
		return nil, false
	}
	c.mu.Lock()
	s, ok := c.byToken.get(token, now)
	c.mu.Unlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return s, ok
}

// generation is taken before the store is asked for what will be put.
func (c *sessionCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps s unless a drop came since generation gen was taken: the
// session read from the store may be the one that drop ended.
func (c *sessionCache) put(token string, s *Session, now time.Time, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	until := now.Add(c.ttl)
	if s.AccessExpiresAt.Before(until) {
		until = s.AccessExpiresAt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if old, ok := c.bySession[s.ID]; ok && old != token {
		c.byToken.remove(old)
	}
	c.byToken.put(token, s, until)
	c.bySession[s.ID] = token
}

// drop forgets the sessions with these ids.
func (c *sessionCache) drop(sessionIDs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range sessionIDs {
		if token, ok := c.bySession[id]; ok {
			c.byToken.remove(token)
		}
	}
}

// reset forgets everything, for when change events may have been missed.
func (c *sessionCache) reset() {
	c.resets.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.byToken.clear()
	clear(c.bySession)
}

// sweep removes expired entries.
func (c *sessionCache) sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byToken.sweep(now)
}

// VerifyCacheStats counts, since the start, the verifies the cache answered
// (hits), those that asked the store (misses, every one with the cache
// off), and how often the cache was emptied whole because changes may
// have been missed (resets: a Redis reconnect, another process's write to
// the SQLite file).
func (s *Service) VerifyCacheStats() (hits, misses, resets uint64) {
	return s.cache.hits.Load(), s.cache.misses.Load(), s.cache.resets.Load()
}
