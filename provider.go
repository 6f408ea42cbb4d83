package miniauth

import "context"

// The platforms a mini program can be built for; an app belongs to one.
const (
	PlatformWeixin   = "weixin"
	PlatformQQ       = "qq"
	PlatformDouyin   = "douyin"
	PlatformAlipay   = "alipay"
	PlatformBaidu    = "baidu"
	PlatformKuaishou = "kuaishou"
)

// KnownPlatform reports whether p is one of the platforms above.
func KnownPlatform(p string) bool {
	switch p {
	case PlatformWeixin, PlatformQQ, PlatformDouyin, PlatformAlipay, PlatformBaidu, PlatformKuaishou:
		return true
	}
	return false
}

// LoginSession is what a platform answers for a login code: the user's id
// in the app, the id across the developer's apps on that platform (when the
// platform gives one), and the key the platform shares with this session
// (empty on Alipay, which has none).
type LoginSession struct {
	OpenID     string
	UnionID    string
	SessionKey string
}

// LoginProvider exchanges the login codes of one platform's apps
// (wx.login, qq.login, tt.login, my.getAuthCode, swan.login, ks.login).
// Implementations: wechat (WeChat), platforms (the others).
//
// A code is single use, so an exchange is never retried once the request may
// have reached the platform. Errors carry these codes: EInvalidCode (a bad,
// expired or used code), EUserBlocked (the platform blocked the user),
// ERateLimited (the platform's rate limit), EUpstreamUnavailable (the
// platform's system error, a timeout, a non-200 or undecodable answer, a bad
// answer signature, anything unexpected), EInvalidRequest (an appid the
// provider does not serve).
type LoginProvider interface {
	Code2Session(ctx context.Context, appID, code string) (*LoginSession, error)
}

// loginProvider is the provider of a configured app: its own, or the WeChat
// client for apps configured without one.
func (s *Service) loginProvider(appID string) LoginProvider {
	if p, ok := s.opts.Providers[appID]; ok {
		return p
	}
	return s.wechat
}
