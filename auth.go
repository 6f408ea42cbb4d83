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

// RefreshRequest is a refresh, with hints about the device.
type RefreshRequest struct {
	RefreshToken string
	UserAgent    string
	IP           string
}

// Tokens are the credentials a login or refresh hands out.
type Tokens struct {
	AccessToken      string
	RefreshToken     string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	// ExpiresIn is the access token's lifetime as of its issue, by the
	// service's clock (the answer's expires_in).
	ExpiresIn time.Duration

	// What the session stores of the access token (see newTokens), and
	// for a signed one what it will say once signed (signAccess).
	accessHash string
	jti        string
	issuedAt   time.Time
}

// LoginResult is what a login or refresh answers.
type LoginResult struct {
	Tokens
	User    *User
	NewUser bool
}

const maxCodeLength = 512

var (
	errUnauthorized = Errorf(EUnauthorized, "missing, malformed, expired or revoked token")
	// errJustRotated answers a refresh token rotated away within the reuse
	// leeway: most likely the client racing itself, so the throttle does not
	// count it either.
	errJustRotated = Errorf(EUnauthorized, "refresh token was just rotated by another request")
	errBlocked     = Errorf(EUserBlocked, "this account is disabled")
)

// Login exchanges a wx.login() code with WeChat, finds the account by the
// identity (or by its unionid) or creates one, and starts a session.
//
// Errors: EInvalidRequest (unknown or missing appid), EInvalidCode,
// EUserBlocked (WeChat's 40226 or a disabled account), ERateLimited (WeChat's
// 45011, or too many failures: see ThrottleLimits), EUpstreamUnavailable.
func (s *Service) Login(ctx context.Context, req LoginRequest) (_ *LoginResult, err error) {
	ev := s.attempt(EventLogin, req.AppID, req.IP, req.UserAgent)
	defer ev.end(&err)
	try, err := s.throttle.begin(ctx, req.IP)
	if err != nil {
		return nil, err
	}
	defer func() { try.end(ctx, err) }()
	appID, err := s.resolveApp(req.AppID)
	if err != nil {
		return nil, err
	}
	if err := checkCode(req.Code); err != nil {
		return nil, err
	}
	wx, err := s.loginProvider(appID).Code2Session(ctx, appID, req.Code)
	if err != nil {
		return nil, err
	}
	if err := try.admit(ctx, appID, wx.OpenID); err != nil {
		return nil, err
	}
	now := s.opts.Now()
	tokens, session := s.newSession(device{appID, wx.OpenID, wx.SessionKey, req.UserAgent, req.IP}, now)
	user, created, err := s.openSession(ctx,
		Identity{Platform: s.platformOf(appID), AppID: appID, OpenID: wx.OpenID, UnionID: wx.UnionID},
		&User{ID: NewID(), CreatedAt: now, UpdatedAt: now}, session)
	if user != nil {
		ev.user(user, created)
	}
	if err != nil {
		return nil, err
	}
	if user.Disabled {
		return nil, errBlocked
	}
	res, err := s.issue(ctx, user, tokens, session)
	if err != nil {
		return nil, err
	}
	res.User, res.NewUser = inView(res.User, appID, wx.OpenID), created
	return res, nil
}

// Refresh rotates a session's tokens. The presented refresh token stops
// working; presenting it again within the reuse leeway answers
// EUnauthorized, and later revokes the whole session.
//
// Errors: EUnauthorized, EUserBlocked, ERateLimited (too many failures: see
// ThrottleLimits), EUpstreamUnavailable.
func (s *Service) Refresh(ctx context.Context, req RefreshRequest) (_ *LoginResult, err error) {
	ev := s.attempt(EventRefresh, "", req.IP, req.UserAgent)
	defer ev.end(&err)
	try, err := s.throttle.begin(ctx, req.IP)
	if err != nil {
		return nil, err
	}
	defer func() { try.end(ctx, err) }()
	refreshToken := req.RefreshToken
	if !wellFormed(refreshToken, refreshTokenPrefix) {
		return nil, errUnauthorized
	}
	now := s.opts.Now()
	tokens := s.newTokens(now)
	presented := HashToken(refreshToken)
	session, err := s.sessions.RotateRefresh(ctx, presented, Rotation{
		AccessHash:       tokens.accessHash,
		RefreshHash:      HashToken(tokens.RefreshToken),
		AccessExpiresAt:  tokens.AccessExpiresAt,
		RefreshExpiresAt: tokens.RefreshExpiresAt,
		At:               now,
	})
	ev.session(session)
	if err != nil {
		return nil, s.refreshFailed(ctx, session, err, now)
	}
	// Other nodes may still hold the old access token in their caches.
	s.forget(ctx, session.ID)
	try.attribute(session.AppID, session.OpenID)
	if err := s.recordRotation(ctx, session, presented, now); err != nil {
		return nil, err
	}
	user, err := s.liveUser(ctx, session.UserID, session.ID)
	if err != nil {
		return nil, err
	}
	if err := s.signAccess(&tokens, session); err != nil {
		return nil, err
	}
	return &LoginResult{Tokens: tokens, User: inView(user, session.AppID, session.OpenID)}, nil
}

// refreshFailed turns a failed rotation into the answer. A reuse within the
// leeway is most likely the client racing itself (several requests that
// each refreshed): the winner's tokens must keep working, so it ends
// nothing. Later, the token leaked: the session ends.
func (s *Service) refreshFailed(ctx context.Context, session *Session, err error, now time.Time) error {
	switch {
	case errors.Is(err, ErrRefreshReused) && session != nil:
		var reuse *RefreshReuse
		if s.opts.RefreshReuseLeeway > 0 && errors.As(err, &reuse) && !reuse.RotatedAt.IsZero() && now.Sub(reuse.RotatedAt) < s.opts.RefreshReuseLeeway {
			return errJustRotated
		}
		s.log.Warn("refresh token reused; revoking the session", "session_id", session.ID, "user_id", session.UserID)
		if err := s.revoke(ctx, session.ID); err != nil {
			return err
		}
		return ErrRefreshReused
	case ErrorCode(err) == ENotFound:
		return errUnauthorized
	}
	return err
}

// liveUser returns the session's user, or revokes the session and answers
// EUserBlocked when the user is disabled.
func (s *Service) liveUser(ctx context.Context, userID, sessionID string) (*User, error) {
	user, err := s.users.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if user.Disabled {
		return nil, s.endBlocked(ctx, sessionID)
	}
	return user, nil
}

// stillEnabled reads the user's flag again, and revokes the session and
// answers EUserBlocked when the user is disabled.
func (s *Service) stillEnabled(ctx context.Context, userID, sessionID string) error {
	disabled, err := s.users.UserDisabled(ctx, userID)
	if err != nil || !disabled {
		return err
	}
	return s.endBlocked(ctx, sessionID)
}

// endBlocked revokes the session of a disabled user and answers
// EUserBlocked, or the revocation's error.
func (s *Service) endBlocked(ctx context.Context, sessionID string) error {
	if err := s.revoke(ctx, sessionID); err != nil {
		return err
	}
	return errBlocked
}

// Verify returns the live session of an access token, opaque or signed.
// It is the hot path: a recently seen token is answered from memory, and
// only a token that passed every check before is ever in the cache (which
// keys it by the whole token), so a hit needs no signature check either.
//
// Errors: EUnauthorized, EUpstreamUnavailable.
func (s *Service) Verify(ctx context.Context, accessToken string) (*Session, error) {
	if opaque, sealed := splitSealed(accessToken); sealed {
		if s.sealer != nil {
			if session, done, err := s.verifySealedCached(accessToken); done {
				return session, err
			}
		}
		accessToken = opaque // the store knows it by the opaque part
	}
	signed := s.opts.Signer != nil && looksSigned(accessToken)
	if !signed && !wellFormed(accessToken, accessTokenPrefix) {
		return nil, errUnauthorized
	}
	now := s.opts.Now()
	if session, ok := s.cache.get(accessToken, now); ok {
		return session, nil
	}
	gen := s.cache.generation()
	hash, sid := HashToken(accessToken), ""
	if signed {
		claims, err := s.parseSigned(accessToken, now)
		if err != nil {
			return nil, errUnauthorized
		}
		hash, sid = jtiHash(claims.ID), claims.SessionID
	}
	session, err := s.sessions.SessionByAccessHash(ctx, hash)
	if ErrorCode(err) == ENotFound {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if !now.Before(session.AccessExpiresAt) || (signed && sid != session.ID) {
		return nil, errUnauthorized
	}
	if err := s.confirm(ctx, session); err != nil {
		return nil, err
	}
	session = s.touch(ctx, session, now)
	s.cache.put(accessToken, session, now, gen)
	return session, nil
}

// touch queues a write of the session's LastUsedAt when it has grown stale,
// and returns the session as it will be.
func (s *Service) touch(ctx context.Context, session *Session, now time.Time) *Session {
	if now.Sub(session.LastUsedAt) < s.opts.TouchInterval {
		return session
	}
	s.touches.add(session.ID)
	touched := *session
	touched.LastUsedAt = now
	return &touched
}

// LogoutRequest is a logout of the session of the presented token, with
// hints about the device.
type LogoutRequest struct {
	Session   *Session
	UserAgent string
	IP        string
}

// Logout ends a session: its access and refresh tokens stop working.
func (s *Service) Logout(ctx context.Context, req LogoutRequest) (err error) {
	ev := s.attempt(EventLogout, "", req.IP, req.UserAgent)
	ev.session(req.Session)
	defer ev.end(&err)
	return s.revoke(ctx, req.Session.ID)
}

// revoke ends sessions: in the feed of endings and the ledger first, so
// that no loss of the session store can bring them back (and sealed tokens
// end on every node), then in the store. A ledger that
// fails does not keep the sessions alive now; the caller answers its error.
func (s *Service) revoke(ctx context.Context, sessionIDs ...string) error {
	endingErr := s.recordEndings(ctx, sessionIDs)
	ledgerErr := s.recordRevoked(ctx, sessionIDs)
	for _, id := range sessionIDs {
		if err := s.sessions.RevokeSession(ctx, id); err != nil {
			return err
		}
	}
	s.forget(ctx, sessionIDs...)
	if endingErr != nil {
		return endingErr
	}
	return ledgerErr
}

// newTokens makes a refresh token and an access token. An opaque access
// token is bound to its session by its hash. A signed one names its session,
// which a refresh learns only from the rotation: so the session is bound to
// the token's jti, and signAccess signs it once the session is known.
func (s *Service) newTokens(now time.Time) Tokens {
	t := Tokens{
		RefreshToken:     newToken(refreshTokenPrefix),
		AccessExpiresAt:  now.Add(s.opts.AccessTTL),
		RefreshExpiresAt: now.Add(s.opts.RefreshTTL),
	}
	if s.opts.Signer == nil {
		t.AccessToken = newToken(accessTokenPrefix)
		t.accessHash = HashToken(t.AccessToken)
		t.issuedAt = now
		t.ExpiresIn = s.opts.AccessTTL
		return t
	}
	// A JWT's times are whole seconds; the session's expiry is the token's.
	t.issuedAt = now.Truncate(time.Second)
	t.AccessExpiresAt = t.issuedAt.Add(s.opts.AccessTTL)
	t.jti = newToken("")
	t.accessHash = jtiHash(t.jti)
	t.ExpiresIn = t.AccessExpiresAt.Sub(now)
	return t
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
