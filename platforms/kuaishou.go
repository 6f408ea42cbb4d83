package platforms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/miniauth/miniauth"
)

// kuaishou is Kuaishou's code2session.
//
//	POST oauth2/mp/code2session form app_id, app_secret, js_code
//	→ {"result":1,"open_id","session_key"} or {"result":N,"error_msg"}
//
// result other than 1 is an error: 240001 a bad code, 240002 a bad secret,
// 100 missing parameters (Kuaishou's published table); anything else is
// taken for the platform's own failure.
type kuaishou struct{ appID, secret string }

var kuaishouCodes = errorCodes{
	"240001": miniauth.EInvalidCode,
	"240002": miniauth.EUpstreamUnavailable, // bad secret: our configuration
	"100":    miniauth.EUpstreamUnavailable,
}

func (kuaishou) endpoint() string { return "oauth2/mp/code2session" }

func (a kuaishou) request(ctx context.Context, base, code string) (*http.Request, error) {
	return postForm(ctx, base+"/"+a.endpoint(), url.Values{"app_id": {a.appID}, "app_secret": {a.secret}, "js_code": {code}})
}

type kuaishouAnswer struct {
	Result     *int64 `json:"result"`
	OpenID     string `json:"open_id"`
	SessionKey string `json:"session_key"`
	UnionID    string `json:"union_id"`
}

func (a kuaishou) parse(status int, body []byte) (*miniauth.LoginSession, result) {
	if status != http.StatusOK {
		return nil, httpStatus(a.endpoint(), status)
	}
	var ans kuaishouAnswer
	if err := json.Unmarshal(body, &ans); err != nil || ans.Result == nil {
		return nil, badJSON(a.endpoint())
	}
	if *ans.Result != 1 {
		return nil, kuaishouCodes.platformError(a.endpoint(), strconv.FormatInt(*ans.Result, 10))
	}
	if ans.OpenID == "" || ans.SessionKey == "" {
		return nil, badJSON(a.endpoint())
	}
	return &miniauth.LoginSession{OpenID: ans.OpenID, UnionID: ans.UnionID, SessionKey: ans.SessionKey}, ok
}
