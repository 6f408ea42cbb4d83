package miniauth

import (
	"context"
	"time"
)

// Identity is one way an account logs in: an openid in one app of one
// platform. (Platform, AppID, OpenID) belongs to one account at most.
// UnionID, when the platform reports one, names the same person across
// the apps of one developer on that platform: a new identity with a known
// unionid joins the account that has it.
type Identity struct {
	Platform  string
	AppID     string
	OpenID    string
	UnionID   string // empty until the platform reports one
	CreatedAt time.Time
}

// platformOf is the platform of a configured app: WeChat unless its
// configuration names another (Options.Platforms).
func (s *Service) platformOf(appID string) string {
	if p, ok := s.opts.Platforms[appID]; ok {
		return p
	}
	return PlatformWeixin
}

// inView returns the user with the identity the session logged in with as
// its identity in view (user.openid of the contract). A session outlives
// its identity's unlinking only until the unlink ends it; meanwhile it
// keeps its own openid.
func inView(u *User, appID, openID string) *User {
	v := *u
	v.AppID, v.OpenID, v.UnionID = appID, openID, ""
	for _, id := range u.Identities {
		if id.AppID == appID && id.OpenID == openID {
			v.UnionID = id.UnionID
			break
		}
	}
	return &v
}

// LinkIdentity adds to the session's account the identity of a login code
// of another app (any configured app of any platform), exchanged with that
// app's provider. It answers the account.
//
// Errors: EInvalidRequest (no or unknown appid), EInvalidCode, EConflict
// (the identity belongs to another account, or the account already has
// another identity in that app: nothing changed), EUserBlocked,
// ERateLimited, EUpstreamUnavailable, EUnauthorized (the account is gone).
func (s *Service) LinkIdentity(ctx context.Context, session *Session, appID, code string) (*User, error) {
	if appID == "" {
		return nil, Errorf(EInvalidRequest, "appid is required")
	}
	appID, err := s.resolveApp(appID)
	if err != nil {
		return nil, err
	}
	if err := checkCode(code); err != nil {
		return nil, err
	}
	wx, err := s.loginProvider(appID).Code2Session(ctx, appID, code)
	if err != nil {
		return nil, err
	}
	user, err := s.users.LinkIdentity(ctx, session.UserID, Identity{
		Platform:  s.platformOf(appID),
		AppID:     appID,
		OpenID:    wx.OpenID,
		UnionID:   wx.UnionID,
		CreatedAt: s.opts.Now(),
	})
	if ErrorCode(err) == ENotFound {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	return inView(user, session.AppID, session.OpenID), nil
}

// UnlinkIdentity removes the account's identity in the app appID and ends
// the sessions that logged in with it.
//
// Errors: ENotFound (the account has no identity in that app), EConflict
// (it is the identity of this session, or the account's last one),
// EUpstreamUnavailable.
func (s *Service) UnlinkIdentity(ctx context.Context, session *Session, appID string) error {
	if appID == session.AppID {
		return Errorf(EConflict, "this session logged in with that identity: log in with another one to remove it")
	}
	gone, err := s.users.UnlinkIdentity(ctx, session.UserID, appID)
	if err != nil {
		return err
	}
	sessions, err := s.sessions.UserSessions(ctx, session.UserID, s.opts.Now())
	if err != nil {
		return err
	}
	var ended []string
	for _, x := range sessions {
		if x.AppID == gone.AppID && x.OpenID == gone.OpenID {
			ended = append(ended, x.ID)
		}
	}
	return s.revoke(ctx, ended...)
}

// checkCode refuses a login code that cannot be one.
func checkCode(code string) error {
	if code == "" {
		return Errorf(EInvalidCode, "code is empty")
	}
	if len(code) > maxCodeLength {
		return Errorf(EInvalidCode, "code is too long")
	}
	return nil
}
