package miniauth

import (
	"context"
	"time"
)

// A login's session: made with its tokens, stored with its user, issued.

// openSession finds or creates the identity's user and, unless the user is
// disabled, stores session as theirs: in one transaction where the store
// can (Options.Starter).
func (s *Service) openSession(ctx context.Context, id Identity, newUser *User, session *Session) (*User, bool, error) {
	if s.starter != nil {
		user, created, err := s.starter.StartSession(ctx, id, newUser, session)
		s.loggedIn(user, created)
		return user, created, err
	}
	user, created, err := s.users.FindOrCreateByIdentity(ctx, id, newUser)
	if err != nil || user.Disabled {
		return user, created, err
	}
	session.UserID = user.ID
	return user, created, s.sessions.CreateSession(ctx, session)
}

// device is what a new session records of where it logs in from.
type device struct {
	AppID, OpenID, SessionKey string
	UserAgent, IP             string // as the client sent them: repaired here
}

// newSession is a new session on d at now, of no user yet, and its tokens.
func (s *Service) newSession(d device, now time.Time) (Tokens, *Session) {
	tokens := s.newTokens(now)
	return tokens, &Session{
		ID:               NewID(),
		AppID:            d.AppID,
		OpenID:           d.OpenID,
		SessionKey:       d.SessionKey,
		AccessHash:       tokens.accessHash,
		RefreshHash:      HashToken(tokens.RefreshToken),
		UserAgent:        cleanText(d.UserAgent, maxUserAgentBytes),
		IP:               cleanText(d.IP, maxIPBytes),
		CreatedAt:        now,
		LastUsedAt:       now,
		AccessExpiresAt:  tokens.AccessExpiresAt,
		RefreshExpiresAt: tokens.RefreshExpiresAt,
		IssuedAt:         now,
	}
}

// startSession creates a session of user on d at now and answers its
// tokens.
func (s *Service) startSession(ctx context.Context, user *User, d device, now time.Time) (*LoginResult, error) {
	tokens, session := s.newSession(d, now)
	session.UserID = user.ID
	if err := s.sessions.CreateSession(ctx, session); err != nil {
		return nil, err
	}
	return s.issue(ctx, user, tokens, session)
}

// issue answers the tokens of user's new, stored session. A disable may
// have come between the caller's check of the user and the session's
// creation, and listed the user's sessions before this one existed.
// Disabling sets the flag before it lists them, so reading the flag again
// after the creation closes the gap; a store that checks the flag as it
// creates the session (DisabledUserRefuser) closes it itself.
func (s *Service) issue(ctx context.Context, user *User, tokens Tokens, session *Session) (*LoginResult, error) {
	if !s.sessionsCheckUsers {
		if err := s.stillEnabled(ctx, user.ID, session.ID); err != nil {
			return nil, err
		}
	}
	if err := s.signAccess(&tokens, session); err != nil {
		return nil, err
	}
	return &LoginResult{Tokens: tokens, User: user}, nil
}
