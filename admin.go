package miniauth

import "context"

// User returns any user by id, for operators.
//
// Errors: ENotFound.
func (s *Service) User(ctx context.Context, id string) (*User, error) {
	return s.users.UserByID(ctx, id)
}

// ListUsers lists users, newest first, for operators.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]*User, error) {
	return s.users.ListUsers(ctx, f)
}

// SetUserDisabled disables or re-enables a user. Disabling ends every
// session of the user on every node (within the cache TTL at most) and
// refuses later logins with EUserBlocked.
//
// The flag is set before the sessions are listed: a login that creates a
// session the listing misses reads the flag again after creating it (see
// Login), so no session of a disabled user survives.
//
// Errors: ENotFound, EUpstreamUnavailable.
func (s *Service) SetUserDisabled(ctx context.Context, id string, disabled bool) (*User, error) {
	user, err := s.users.UpdateUser(ctx, id, UserUpdate{Disabled: &disabled, UpdatedAt: s.opts.Now()})
	if err != nil {
		return nil, err
	}
	if disabled {
		if _, err := s.RevokeUserSessions(ctx, id); err != nil {
			return nil, err
		}
	}
	return user, nil
}

// UserSessions lists a user's live sessions, newest first.
func (s *Service) UserSessions(ctx context.Context, userID string) ([]*Session, error) {
	return s.sessions.UserSessions(ctx, userID, s.opts.Now())
}

// RevokeUserSessions ends every session of a user and returns how many:
// in the feed of endings and the ledger first, then in the session store.
func (s *Service) RevokeUserSessions(ctx context.Context, userID string) (int, error) {
	// By the user, not a list of sessions: a store that lost some (Redis)
	// would leave their sealed tokens working.
	endingErr := s.recordUserEnding(ctx, userID)
	ledgerErr := s.recordUserSessionsEnded(ctx, userID)
	ids, err := s.sessions.RevokeUserSessions(ctx, userID)
	if err != nil {
		return 0, err
	}
	s.forget(ctx, ids...)
	if endingErr != nil {
		return 0, endingErr
	}
	return len(ids), ledgerErr
}

// RevokeSession ends one session.
func (s *Service) RevokeSession(ctx context.Context, id string) error {
	return s.revoke(ctx, id)
}
