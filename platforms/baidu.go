package platforms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/miniauth/miniauth"
)

// baidu is Baidu's jscode2sessionkey (an OAuth 2.0 endpoint).
//
//	POST oauth/jscode2sessionkey form code, client_id (the App Key), sk (the App Secret)
//	→ {"openid","session_key"} or {"errno","error","error_description"}
//
// Errors are read from the body whatever the HTTP status, as OAuth servers
// answer them with 400 or 401 as often as with 200. error is OAuth's code:
// invalid_grant is a bad, expired or used code.
type baidu struct{ appKey, secret string }

var baiduCodes = errorCodes{
	"invalid_grant":           miniauth.EInvalidCode,
	"invalid_client":          miniauth.EUpstreamUnavailable, // bad App Key or secret: our configuration
	"invalid_request":         miniauth.EUpstreamUnavailable,
	"server_error":            miniauth.EUpstreamUnavailable,
	"temporarily_unavailable": miniauth.EUpstreamUnavailable,
}

func (baidu) endpoint() string { return "oauth/jscode2sessionkey" }

func (a baidu) request(ctx context.Context, base, code string) (*http.Request, error) {
	return postForm(ctx, base+"/"+a.endpoint(), url.Values{"code": {code}, "client_id": {a.appKey}, "sk": {a.secret}})
}

type baiduAnswer struct {
	OpenID     string `json:"openid"`
	SessionKey string `json:"session_key"`
	Errno      int64  `json:"errno"`
	Error      string `json:"error"`
}

func (a baidu) parse(status int, body []byte) (*miniauth.LoginSession, result) {
	var ans baiduAnswer
	decodeErr := json.Unmarshal(body, &ans)
	if decodeErr == nil && (ans.Error != "" || ans.Errno != 0) {
		return nil, baiduCodes.platformError(a.endpoint(), ans.Error)
	}
	switch {
	case status != http.StatusOK:
		return nil, httpStatus(a.endpoint(), status)
	case decodeErr != nil, ans.OpenID == "", ans.SessionKey == "":
		return nil, badJSON(a.endpoint())
	}
	return &miniauth.LoginSession{OpenID: ans.OpenID, SessionKey: ans.SessionKey}, ok
}

// postForm is a form POST, as Baidu, Kuaishou and Alipay want them.
func postForm(ctx context.Context, u string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}
