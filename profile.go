package miniauth

import (
	"context"
	"strings"
)

// Me returns the user of a session. Users are kept in memory for the
// profile TTL at most (see Options.ProfileTTL), and every change drops them
// on every node (userChanged).
//
// Errors: EUnauthorized (the user is gone), EUpstreamUnavailable.
func (s *Service) Me(ctx context.Context, session *Session) (*User, error) {
	now := s.opts.Now()
	// The cache holds the account as stored; each session sees it through
	// its own identity.
	if user, ok := s.profiles.get(session.UserID, now); ok {
		return inView(user, session.AppID, session.OpenID), nil
	}
	gen := s.profiles.generation()
	user, err := s.users.UserByID(ctx, session.UserID)
	if ErrorCode(err) == ENotFound {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	s.profiles.put(user.ID, user, now, gen)
	return inView(user, session.AppID, session.OpenID), nil
}

// BindPhone exchanges a getPhoneNumber button code for the user's phone
// number and stores it on the user. WeChat is given the session's openid, so
// a code minted for somebody else is refused.
//
// Errors: as Login's, and EUnauthorized.
func (s *Service) BindPhone(ctx context.Context, session *Session, code string) (*User, error) {
	if code == "" {
		return nil, Errorf(EInvalidCode, "code is empty")
	}
	if len(code) > maxCodeLength {
		return nil, Errorf(EInvalidCode, "code is too long")
	}
	info, err := s.wechat.PhoneNumber(ctx, session.AppID, session.OpenID, code)
	if err != nil {
		return nil, err
	}
	phone := phoneOf(info)
	if phone == "" {
		return nil, Errorf(EUpstreamUnavailable, "wechat answered no phone number")
	}
	user, err := s.users.UpdateUser(ctx, session.UserID, UserUpdate{Phone: &phone, UpdatedAt: s.opts.Now()})
	if ErrorCode(err) == ENotFound {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	return inView(user, session.AppID, session.OpenID), nil
}

// phoneOf is the number we store: the pure number for mainland China
// (13800138000), and "+<country code><number>" for any other country, so
// that foreign numbers keep their country code.
func phoneOf(info *PhoneInfo) string {
	pure := strings.TrimSpace(info.PurePhoneNumber)
	cc := strings.TrimPrefix(strings.TrimSpace(info.CountryCode), "+")
	if pure == "" {
		return strings.ReplaceAll(strings.TrimSpace(info.PhoneNumber), " ", "")
	}
	if cc == "" || cc == "86" {
		return pure
	}
	return "+" + cc + pure
}

// SetNickname sets the user's nickname after NormalizeNickname and, when
// ContentCheck is on, WeChat's content check.
//
// Errors: EInvalidRequest (a rule broken, or WeChat rejected the text),
// EUnauthorized, and WeChat's errors (EUpstreamUnavailable, ERateLimited).
func (s *Service) SetNickname(ctx context.Context, session *Session, nickname string) (*User, error) {
	name, err := NormalizeNickname(nickname)
	if err != nil {
		return nil, err
	}
	if s.opts.ContentCheck {
		pass, err := s.wechat.CheckProfileText(ctx, session.AppID, session.OpenID, name)
		if err != nil {
			return nil, err
		}
		if !pass {
			return nil, Errorf(EInvalidRequest, "nickname was rejected by WeChat's content check")
		}
	}
	return s.updateUser(ctx, session, UserUpdate{Nickname: &name, UpdatedAt: s.opts.Now()})
}

func (s *Service) updateUser(ctx context.Context, session *Session, upd UserUpdate) (*User, error) {
	user, err := s.users.UpdateUser(ctx, session.UserID, upd)
	if ErrorCode(err) == ENotFound {
		return nil, errUnauthorized
	}
	return user, err
}
