package platforms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/miniauth/miniauth"
)

// qq is QQ's jscode2session: WeChat's shape and error codes, on QQ's host.
//
//	GET sns/jscode2session?appid=&secret=&js_code=&grant_type=authorization_code
//	→ {"openid","session_key","unionid"} or {"errcode","errmsg"}
type qq struct{ appID, secret string }

var qqCodes = errorCodes{
	"40029": miniauth.EInvalidCode,
	"40163": miniauth.EInvalidCode,
	"40226": miniauth.EUserBlocked,
	"45011": miniauth.ERateLimited,
	"-1":    miniauth.EUpstreamUnavailable,
	"40013": miniauth.EUpstreamUnavailable, // bad appid: our configuration
	"40125": miniauth.EUpstreamUnavailable, // bad secret: our configuration
}

func (qq) endpoint() string { return "sns/jscode2session" }

func (a qq) request(ctx context.Context, base, code string) (*http.Request, error) {
	q := url.Values{"appid": {a.appID}, "secret": {a.secret}, "js_code": {code}, "grant_type": {"authorization_code"}}
	return http.NewRequestWithContext(ctx, http.MethodGet, base+"/"+a.endpoint()+"?"+q.Encode(), nil)
}

type qqAnswer struct {
	OpenID     string `json:"openid"`
	SessionKey string `json:"session_key"`
	UnionID    string `json:"unionid"`
	ErrCode    int64  `json:"errcode"`
}

func (a qq) parse(status int, body []byte) (*miniauth.LoginSession, result) {
	if status != http.StatusOK {
		return nil, httpStatus(a.endpoint(), status)
	}
	var ans qqAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, badJSON(a.endpoint())
	}
	if ans.ErrCode != 0 {
		return nil, qqCodes.platformError(a.endpoint(), strconv.FormatInt(ans.ErrCode, 10))
	}
	if ans.OpenID == "" || ans.SessionKey == "" {
		return nil, badJSON(a.endpoint())
	}
	return &miniauth.LoginSession{OpenID: ans.OpenID, UnionID: ans.UnionID, SessionKey: ans.SessionKey}, ok
}
