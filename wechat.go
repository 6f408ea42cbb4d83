package miniauth

import "context"

// WeChatSession is what jscode2session answers for a login code: WeChat's
// LoginSession. A WeChat is the LoginProvider of WeChat apps.
type WeChatSession = LoginSession

// PhoneInfo is what getuserphonenumber answers for a phone code.
type PhoneInfo struct {
	PhoneNumber     string // with country code for foreign numbers, e.g. "+1 2025550123"
	PurePhoneNumber string // without country code
	CountryCode     string
}

// WeChat is the part of WeChat's server API that miniauth uses. The wechat
// package implements it on top of github.com/silenceper/wechat/v2.
//
// Errors carry these codes: EInvalidCode (40029, 40163), EUserBlocked (40226),
// ERateLimited (45011), EUpstreamUnavailable (-1, timeouts, non-200, bad JSON,
// anything unexpected), EInvalidRequest (an appid the client does not know).
type WeChat interface {
	// Code2Session exchanges a wx.login() code. It is never retried once the
	// request may have reached WeChat: a code is single use.
	Code2Session(ctx context.Context, appID, code string) (*WeChatSession, error)

	// PhoneNumber exchanges a getPhoneNumber button code of the user openID,
	// using the app's access token (refreshed once and retried once when WeChat
	// reports it invalid).
	PhoneNumber(ctx context.Context, appID, openID, code string) (*PhoneInfo, error)

	// CheckProfileText asks WeChat's content check (wxa/msg_sec_check,
	// version 2, scene 1 "profile") whether text written by user openID may
	// be shown. pass is false when WeChat finds it risky. Uses the app's
	// access token as PhoneNumber does.
	CheckProfileText(ctx context.Context, appID, openID, text string) (pass bool, err error)
}
