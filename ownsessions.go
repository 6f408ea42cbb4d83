package miniauth

import "context"

// A user's own sessions: the devices list of the mini program. Each ending
// goes through revoke, as a logout does: into the ledger first (with
// Redis), then the store, then every node's verify cache.

// OwnSessions lists the live sessions of the session's user, newest first.
//
// Errors: EUpstreamUnavailable.
func (s *Service) OwnSessions(ctx context.Context, session *Session) ([]*Session, error) {
	return s.sessions.UserSessions(ctx, session.UserID, s.opts.Now())
}

// EndOwnSession ends one session of the session's user (the current one
// too: that is a logout).
//
// Errors: ENotFound (no live session of this user has that id),
// EUpstreamUnavailable.
func (s *Service) EndOwnSession(ctx context.Context, session *Session, id string) error {
	sessions, err := s.sessions.UserSessions(ctx, session.UserID, s.opts.Now())
	if err != nil {
		return err
	}
	for _, x := range sessions {
		if x.ID == id {
			return s.revoke(ctx, id)
		}
	}
	return Errorf(ENotFound, "no session of yours has this id")
}

// EndOtherSessions ends every session of the session's user but this one,
// and returns how many it ended.
//
// Errors: EUpstreamUnavailable.
func (s *Service) EndOtherSessions(ctx context.Context, session *Session) (int, error) {
	sessions, err := s.sessions.UserSessions(ctx, session.UserID, s.opts.Now())
	if err != nil {
		return 0, err
	}
	var others []string
	for _, x := range sessions {
		if x.ID != session.ID {
			others = append(others, x.ID)
		}
	}
	return len(others), s.revoke(ctx, others...)
}
