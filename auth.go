package miniauth

import (
	"context"
	"errors"
	"time"
)

// LoginRequest is a login with a wx.login() code, with hints about the device.
type LoginRequest struct {
	AppID     string // optional when the deployment serves one app
	Code      string
	UserAgent string
	IP        string
}

// Tokens are the credentials a login or refresh hands out.
type Tokens struct {
	AccessToken      string
	RefreshToken     string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
}

// LoginResult is what a login or refresh answers.
type LoginResult struct {
	Tokens
	User    *User
	NewUser bool
}

const maxCodeLength = 512

var errUnauthorized = Errorf(EUnauthorized, "missing, malformed, expired or revoked token")

// Login exchanges a wx.login() code with WeChat, finds or creates the user,
// and starts a session.
//
// Errors: EInvalidRequest (unknown or missing appid), EInvalidCode,
// EUserBlocked (WeChat's 40226 or a disabled account), ERateLimited,
// EUpstreamUnavailable.
func (s *Service) Login(ctx context.Context, req LoginRequest) (*LoginResult, error) {
	appID, err := s.resolveApp(req.AppID)
	if err != nil {
		return nil, err
	}
	if req.Code == "" {
		return nil, Errorf(EInvalidCode, "code is empty")
	}
	if len(req.Code) > maxCodeLength {
		return nil, Errorf(EInvalidCode, "code is too long")
	}
	wx, err := s.loginProvider(appID).Code2Session(ctx, appID, req.Code)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	user, created, err := s.users.FindOrCreateUser(ctx, &User{
		ID:        NewID(),
		AppID:     appID,
		OpenID:    wx.OpenID,
		UnionID:   wx.UnionID,
		CreatedAt: now,
		UpdatedAt: now,
	})
	if err != nil {
		return nil, err
	}
	if user.Disabled {
		return nil, Errorf(EUserBlocked, "this account is disabled")
	}
	tokens := s.newTokens(now)
	err = s.sessions.CreateSession(ctx, &Session{
		ID:               NewID(),
		UserID:           user.ID,
		AppID:            appID,
		OpenID:           wx.OpenID,
		SessionKey:       wx.SessionKey,
		AccessHash:       HashToken(tokens.AccessToken),
		RefreshHash:      HashToken(tokens.RefreshToken),
		UserAgent:        truncate(req.UserAgent, 512),
		IP:               truncate(req.IP, 64),
		CreatedAt:        now,
		LastUsedAt:       now,
		AccessExpiresAt:  tokens.AccessExpiresAt,
		RefreshExpiresAt: tokens.RefreshExpiresAt,
	})
	if err != nil {
		return nil, err
	}
	return &LoginResult{Tokens: tokens, User: user, NewUser: created}, nil
}

// Refresh rotates a session's tokens. The presented refresh token stops
// working; presenting it again revokes the whole session.
//
// Errors: EUnauthorized, EUserBlocked, EUpstreamUnavailable.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*LoginResult, error) {
	if !wellFormed(refreshToken, refreshTokenPrefix) {
		return nil, errUnauthorized
	}
	now := s.opts.Now()
	tokens := s.newTokens(now)
	session, err := s.sessions.RotateRefresh(ctx, HashToken(refreshToken), Rotation{
		AccessHash:       HashToken(tokens.AccessToken),
		RefreshHash:      HashToken(tokens.RefreshToken),
		AccessExpiresAt:  tokens.AccessExpiresAt,
		RefreshExpiresAt: tokens.RefreshExpiresAt,
		At:               now,
	})
	switch {
	case errors.Is(err, ErrRefreshReused) && session != nil:
		s.log.Warn("refresh token reused; revoking the session", "session_id", session.ID, "user_id", session.UserID)
		if err := s.revoke(ctx, session.ID); err != nil {
			return nil, err
		}
		return nil, ErrRefreshReused
	case ErrorCode(err) == ENotFound:
		return nil, errUnauthorized
	case err != nil:
		return nil, err
	}
	// Other nodes may still hold the old access token in their caches.
	s.forget(ctx, session.ID)

	user, err := s.users.UserByID(ctx, session.UserID)
	if err != nil {
		return nil, err
	}
	if user.Disabled {
		if err := s.revoke(ctx, session.ID); err != nil {
			return nil, err
		}
		return nil, Errorf(EUserBlocked, "this account is disabled")
	}
	return &LoginResult{Tokens: tokens, User: user}, nil
}

// Verify returns the live session of an access token. It is the hot path:
// a recently seen token is answered from memory.
//
// Errors: EUnauthorized, EUpstreamUnavailable.
func (s *Service) Verify(ctx context.Context, accessToken string) (*Session, error) {
	if !wellFormed(accessToken, accessTokenPrefix) {
		return nil, errUnauthorized
	}
	now := s.opts.Now()
	if session, ok := s.cache.get(accessToken, now); ok {
		return session, nil
	}
	session, err := s.sessions.SessionByAccessHash(ctx, HashToken(accessToken))
	if ErrorCode(err) == ENotFound {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if !now.Before(session.AccessExpiresAt) {
		return nil, errUnauthorized
	}
	if now.Sub(session.LastUsedAt) >= s.opts.TouchInterval {
		if err := s.sessions.TouchSession(ctx, session.ID, now); err != nil {
			s.log.Warn("touching session", "session_id", session.ID, "err", err)
		}
		touched := *session
		touched.LastUsedAt = now
		session = &touched
	}
	s.cache.put(accessToken, session, now)
	return session, nil
}

// Logout ends a session: its access and refresh tokens stop working.
func (s *Service) Logout(ctx context.Context, session *Session) error {
	return s.revoke(ctx, session.ID)
}

func (s *Service) revoke(ctx context.Context, sessionIDs ...string) error {
	for _, id := range sessionIDs {
		if err := s.sessions.RevokeSession(ctx, id); err != nil {
			return err
		}
	}
	s.forget(ctx, sessionIDs...)
	return nil
}

func (s *Service) newTokens(now time.Time) Tokens {
	return Tokens{
		AccessToken:      newToken(accessTokenPrefix),
		RefreshToken:     newToken(refreshTokenPrefix),
		AccessExpiresAt:  now.Add(s.opts.AccessTTL),
		RefreshExpiresAt: now.Add(s.opts.RefreshTTL),
	}
}

func (s *Service) resolveApp(appID string) (string, error) {
	if appID == "" {
		if s.opts.DefaultApp != "" {
			return s.opts.DefaultApp, nil
		}
		if len(s.opts.Apps) == 1 {
			return s.opts.Apps[0], nil
		}
		return "", Errorf(EInvalidRequest, "appid is required: this server serves several mini programs")
	}
	for _, a := range s.opts.Apps {
		if a == appID {
			return appID, nil
		}
	}
	return "", Errorf(EInvalidRequest, "unknown appid")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
