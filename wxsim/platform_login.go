package wxsim

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// The login endpoints of QQ, Douyin, Baidu and Kuaishou. Like WeChat's,
// each checks the app and its secret, and consumes a code only by a
// successful exchange. Where the platform has no "used" code of its own, a
// used code answers its bad-code error.

// qqCode2Session is QQ's GET sns/jscode2session: WeChat's, for QQ apps.
func (s *Simulator) qqCode2Session(r *http.Request) response {
	return s.jscode2session(r, platformQQ)
}

type douyinRequest struct {
	AppID         string `json:"appid"`
	Secret        string `json:"secret"`
	Code          string `json:"code"`
	AnonymousCode string `json:"anonymous_code"`
}

type douyinData struct {
	SessionKey      string `json:"session_key"`
	OpenID          string `json:"openid"`
	AnonymousOpenID string `json:"anonymous_openid"`
	UnionID         string `json:"unionid"`
}

type douyinAnswer struct {
	ErrNo   int        `json:"err_no"`
	ErrTips string     `json:"err_tips"`
	LogID   string     `json:"log_id"`
	Data    douyinData `json:"data"`
}

// douyinCode2Session is Douyin's POST api/apps/v2/jscode2session. The
// simulator mints no anonymous codes, so an anonymous_code alone is 40019.
func (s *Simulator) douyinCode2Session(r *http.Request) response {
	body, tooLarge, err := readBody(r)
	var req douyinRequest
	if err != nil || tooLarge || json.Unmarshal(body, &req) != nil {
		return s.douyinErr(40014, "bad params")
	}
	a, ok := s.platformApp(platformDouyin, req.AppID)
	switch {
	case req.AppID == "" || req.Secret == "" || (req.Code == "" && req.AnonymousCode == ""):
		return s.douyinErr(40014, "bad params")
	case !ok:
		return s.douyinErr(40015, "bad appid")
	case req.Secret != a.secret:
		return s.douyinErr(40017, "bad secret")
	case req.Code == "":
		return s.douyinErr(40019, "bad anonymous_code")
	}
	lc, state := s.useLoginCode(req.AppID, req.Code)
	if state != codeFresh {
		return s.douyinErr(40018, "bad code")
	}
	return wechatJSON(douyinAnswer{ErrTips: "success", LogID: newRID(s.now()),
		Data: douyinData{SessionKey: newSessionKey(), OpenID: lc.openID, UnionID: lc.unionID}})
}

func (s *Simulator) douyinErr(errNo int, tips string) response {
	resp := wechatJSON(douyinAnswer{ErrNo: errNo, ErrTips: tips, LogID: newRID(s.now())})
	resp.errcode = errNo
	return resp
}

type baiduAnswer struct {
	OpenID     string `json:"openid,omitempty"`
	SessionKey string `json:"session_key,omitempty"`
}

type baiduError struct {
	Errno       int    `json:"errno"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// Baidu's errno values of the simulator's own choosing (10010100 is
// Baidu's documented "parameter is invalid"); miniauth reads error.
const (
	baiduErrnoParams = 10010100
	baiduErrnoClient = 10010101
	baiduErrnoGrant  = 10010102
)

// baiduCode2Session is Baidu's POST oauth/jscode2sessionkey.
func (s *Simulator) baiduCode2Session(r *http.Request) response {
	form, ok := readForm(r)
	code, appKey, secret := form.Get("code"), form.Get("client_id"), form.Get("sk")
	if !ok || code == "" || appKey == "" || secret == "" {
		return baiduErr(baiduErrnoParams, "parameter is invalid", "code, client_id and sk are required")
	}
	if a, known := s.platformApp(platformBaidu, appKey); !known || a.secret != secret {
		return baiduErr(baiduErrnoClient, "invalid_client", "unknown client id or wrong secret")
	}
	lc, state := s.useLoginCode(appKey, code)
	if state != codeFresh {
		return baiduErr(baiduErrnoGrant, "invalid_grant", "invalid, expired or used authorization code")
	}
	return wechatJSON(baiduAnswer{OpenID: lc.openID, SessionKey: newSessionKey()})
}

func baiduErr(errno int, oauthError, description string) response {
	resp := wechatJSON(baiduError{Errno: errno, Error: oauthError, Description: description})
	resp.errcode = errno
	return resp
}

type kuaishouAnswer struct {
	Result     int    `json:"result"`
	ErrorMsg   string `json:"error_msg,omitempty"`
	OpenID     string `json:"open_id,omitempty"`
	SessionKey string `json:"session_key,omitempty"`
	UnionID    string `json:"union_id,omitempty"`
}

// Kuaishou's result codes.
const (
	kuaishouOK        = 1
	kuaishouParams    = 100
	kuaishouBadCode   = 240001
	kuaishouBadSecret = 240002
)

// kuaishouCode2Session is Kuaishou's POST oauth2/mp/code2session. An
// unknown app_id answers as a wrong secret does.
func (s *Simulator) kuaishouCode2Session(r *http.Request) response {
	form, ok := readForm(r)
	appID, secret, code := form.Get("app_id"), form.Get("app_secret"), form.Get("js_code")
	if !ok || appID == "" || secret == "" || code == "" {
		return kuaishouErr(kuaishouParams, "missing parameters")
	}
	if a, known := s.platformApp(platformKuaishou, appID); !known || a.secret != secret {
		return kuaishouErr(kuaishouBadSecret, "app_secret is invalid")
	}
	lc, state := s.useLoginCode(appID, code)
	if state != codeFresh {
		return kuaishouErr(kuaishouBadCode, "js_code is invalid")
	}
	return wechatJSON(kuaishouAnswer{Result: kuaishouOK, OpenID: lc.openID, SessionKey: newSessionKey(), UnionID: lc.unionID})
}

func kuaishouErr(result int, msg string) response {
	resp := wechatJSON(kuaishouAnswer{Result: result, ErrorMsg: msg})
	resp.errcode = result
	return resp
}

// readForm reads a bounded form body, with the URL's query parameters for
// names the body does not have.
func readForm(r *http.Request) (url.Values, bool) {
	body, tooLarge, err := readBody(r)
	if err != nil || tooLarge {
		return url.Values{}, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return url.Values{}, false
	}
	for k, v := range r.URL.Query() {
		if _, inBody := form[k]; !inBody {
			form[k] = v
		}
	}
	return form, true
}
