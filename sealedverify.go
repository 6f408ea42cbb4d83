package miniauth

import (
	"context"
	"time"
)

// The service's side of sealed access tokens (sealedtoken.go) and of the
// feed of endings (endings.go).

// Seal returns access, an opaque access token of session, with the
// session's claims sealed after it, for what makes sessions outside the
// service (miniauth seed).
func (t *TokenSealer) Seal(access string, session *Session) string {
	return t.seal(access, session.claims("", session.CreatedAt, session.AccessExpiresAt))
}

// verifySealedCached answers a sealed token from the verify cache, or
// opens it and keeps what it found there. Cached sealed sessions go as the
// feed brings their endings (endingsFeed.onRead); a generation taken before
// the feed is consulted keeps an ending read meanwhile from being undone.
// With the feed stale, the cache is not consulted: the store decides.
func (s *Service) verifySealedCached(token string) (*Session, bool, error) {
	now := s.opts.Now()
	if s.endings.fresh(now) {
		if session, ok := s.cache.get(token, now); ok {
			return session, true, nil
		}
	}
	gen := s.cache.generation()
	session, done, err := s.verifySealed(token)
	if done && err == nil {
		s.cache.put(token, session, now, gen)
	}
	return session, done, err
}

// endingsRead drops from the verify cache the sealed sessions that new
// endings end: by session, or everything for an ending of all a user's.
func (s *Service) endingsRead(endings []SessionEnding) {
	var ids []string
	for _, e := range endings {
		if e.SessionID == "" {
			s.cache.reset()
			return
		}
		ids = append(ids, e.SessionID)
	}
	if len(ids) > 0 {
		s.cache.drop(ids...)
	}
}

// verifySealed answers a sealed token from its claims and the feed of
// endings; done is false when the store must decide instead: the seal is
// not this node's (another key, or altered), or the feed is stale.
func (s *Service) verifySealed(token string) (session *Session, done bool, err error) {
	c, ok := s.sealer.open(token)
	if !ok {
		return nil, false, nil
	}
	now := s.opts.Now()
	if !now.Before(c.ExpiresAt) {
		return nil, true, errUnauthorized
	}
	if !s.endings.fresh(now) {
		return nil, false, nil
	}
	s.endings.answered.Add(1)
	if s.endings.isEnded(c.SessionID, c.UserID, c.IssuedAt) {
		return nil, true, errUnauthorized
	}
	s.touchSealed(c.SessionID, c.IssuedAt, now)
	return &Session{
		ID:              c.SessionID,
		UserID:          c.UserID,
		AppID:           c.AppID,
		OpenID:          c.OpenID,
		LastUsedAt:      now,
		AccessExpiresAt: c.ExpiresAt,
		IssuedAt:        c.IssuedAt,
	}, true, nil
}

// touchSealed queues a write of the session's LastUsedAt unless the token
// was issued within TouchInterval (a login or refresh wrote it then), or
// this node wrote it since: a sealed token does not say when its session
// was last used, so the node remembers what it wrote.
func (s *Service) touchSealed(sessionID string, issuedAt, now time.Time) {
	if now.Sub(issuedAt) < s.opts.TouchInterval {
		return
	}
	s.touchMu.Lock()
	_, recent := s.sealedTouched.get(sessionID, now)
	if !recent {
		s.sealedTouched.put(sessionID, struct{}{}, now.Add(s.opts.TouchInterval))
	}
	s.touchMu.Unlock()
	if !recent {
		s.touches.add(sessionID)
	}
}

// recordEndings records the sessions' end in the feed, this node's copy
// first: the access tokens of these sessions live at most AccessTTL more.
func (s *Service) recordEndings(ctx context.Context, sessionIDs []string) error {
	now := s.opts.Now()
	endings := make([]SessionEnding, len(sessionIDs))
	for i, id := range sessionIDs {
		endings[i] = SessionEnding{SessionID: id, At: now, Until: now.Add(s.opts.AccessTTL)}
	}
	return s.record(ctx, endings)
}

// recordUserEnding records the end of every token of the user's sessions
// issued until now.
func (s *Service) recordUserEnding(ctx context.Context, userID string) error {
	now := s.opts.Now()
	return s.record(ctx, []SessionEnding{{UserID: userID, At: now, Until: now.Add(s.opts.AccessTTL)}})
}

func (s *Service) record(ctx context.Context, endings []SessionEnding) error {
	if s.opts.Endings == nil || len(endings) == 0 {
		return nil
	}
	if s.endings != nil {
		s.endings.add(endings)
		s.endingsRead(endings)
	}
	return s.opts.Endings.RecordSessionEndings(ctx, endings)
}

// SealedVerifyStats counts, since the start, the verifies answered from a
// sealed token and the feed of endings without the session store, and the
// reads of the feed that failed (zero when this node does not seal).
func (s *Service) SealedVerifyStats() (answered, feedFailures uint64) {
	if s.endings == nil {
		return 0, 0
	}
	return s.endings.answered.Load(), s.endings.failed.Load()
}
