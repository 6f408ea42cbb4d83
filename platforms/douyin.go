package platforms

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/miniauth/miniauth"
)

// douyin is Douyin's (Toutiao's) v2 jscode2session.
//
//	POST api/apps/v2/jscode2session {"appid","secret","code"}
//	→ {"err_no":0,"err_tips","log_id","data":{"session_key","openid","anonymous_openid","unionid"}}
//
// err_no: 40014 bad parameters, 40015 bad appid, 40017 bad secret, 40018
// bad code (also a used one), 40019 bad anonymous code, -1 system error.
type douyin struct{ appID, secret string }

var douyinCodes = errorCodes{
	"40018": miniauth.EInvalidCode,
	"40019": miniauth.EInvalidCode,
	"-1":    miniauth.EUpstreamUnavailable,
	"40014": miniauth.EUpstreamUnavailable,
	"40015": miniauth.EUpstreamUnavailable, // bad appid: our configuration
	"40017": miniauth.EUpstreamUnavailable, // bad secret: our configuration
}

func (douyin) endpoint() string { return "api/apps/v2/jscode2session" }

type douyinRequest struct {
	AppID  string `json:"appid"`
	Secret string `json:"secret"`
	Code   string `json:"code"`
}

func (a douyin) request(ctx context.Context, base, code string) (*http.Request, error) {
	body, err := json.Marshal(douyinRequest{AppID: a.appID, Secret: a.secret, Code: code})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/"+a.endpoint(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

type douyinAnswer struct {
	ErrNo *int64 `json:"err_no"`
	Data  struct {
		SessionKey string `json:"session_key"`
		OpenID     string `json:"openid"`
		UnionID    string `json:"unionid"`
	} `json:"data"`
}

func (a douyin) parse(status int, body []byte) (*miniauth.LoginSession, result) {
	if status != http.StatusOK {
		return nil, httpStatus(a.endpoint(), status)
	}
	var ans douyinAnswer
	if err := json.Unmarshal(body, &ans); err != nil || ans.ErrNo == nil {
		return nil, badJSON(a.endpoint())
	}
	if *ans.ErrNo != 0 {
		return nil, douyinCodes.platformError(a.endpoint(), strconv.FormatInt(*ans.ErrNo, 10))
	}
	d := ans.Data
	if d.OpenID == "" || d.SessionKey == "" {
		return nil, badJSON(a.endpoint())
	}
	return &miniauth.LoginSession{OpenID: d.OpenID, UnionID: d.UnionID, SessionKey: d.SessionKey}, ok
}
