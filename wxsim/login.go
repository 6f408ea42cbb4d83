package wxsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
)

// loginCode is what a wx.login() code stands for.
type loginCode struct {
	appID, openID, unionID string
}

// LoginCode mints a code as wx.login() would on the phone of user openID
// (a new random openid when empty), single use and valid CodeLifetime. A
// non-empty unionID is returned by jscode2session with the openid. It returns
// the code and the openid.
func (s *Simulator) LoginCode(appID, openID, unionID string) (code, openid string, err error) {
	if !s.knows(appID) {
		return "", "", ErrUnknownApp
	}
	if err := checkID("openid", openID); err != nil {
		return "", "", err
	}
	if err := checkID("unionid", unionID); err != nil {
		return "", "", err
	}
	if openID == "" {
		openID = newOpenID()
	}
	code = newLoginCode()
	now := s.nowNano()
	s.loginCodes.put(code, loginCode{appID: s.canonicalAppID(appID), openID: openID, unionID: unionID}, now, now+int64(CodeLifetime))
	return code, openID, nil
}

// checkID bounds the ids a caller may choose, so that they fit in a URL and
// in our columns.
func checkID(name, id string) error {
	if len(id) > maxIDLen {
		return fmt.Errorf("wxsim: %s longer than %d bytes", name, maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("wxsim: %s must be printable ASCII without spaces", name)
		}
	}
	return nil
}

// SessionKey returns the current session_key of user openID of app appID, as
// checksession sees it. Tests use it to check what the server stored; the
// simulator is WeChat, so it may know.
func (s *Simulator) SessionKey(appID, openID string) (string, bool) {
	e, ok := s.sessionKeys.get(sessionKeyID(appID, openID), s.nowNano())
	return e.val, ok
}

func sessionKeyID(appID, openID string) string { return appID + "\x00" + openID }

type loginCodeRequest struct {
	AppID   string `json:"appid"`
	OpenID  string `json:"openid"`
	UnionID string `json:"unionid"`
}

type loginCodeResponse struct {
	Code   string `json:"code"`
	OpenID string `json:"openid"`
}

func (s *Simulator) serveLoginCode(r *http.Request) response {
	var req loginCodeRequest
	if resp, ok := decodeControl(r, &req); !ok {
		return resp
	}
	if !s.knows(req.AppID) {
		return controlError(http.StatusBadRequest, 40013, "unknown appid")
	}
	code, openID, err := s.LoginCode(req.AppID, req.OpenID, req.UnionID)
	if err != nil {
		return controlError(http.StatusBadRequest, 40097, err.Error())
	}
	return controlJSON(loginCodeResponse{Code: code, OpenID: openID})
}

type code2SessionResponse struct {
	SessionKey string `json:"session_key"`
	OpenID     string `json:"openid"`
	UnionID    string `json:"unionid,omitempty"`
}

// code2Session is WeChat's GET sns/jscode2session.
func (s *Simulator) code2Session(r *http.Request) response {
	return s.jscode2session(r, platformWeixin)
}

// jscode2session is GET sns/jscode2session of WeChat or QQ, which share its
// shape and error codes; each knows only its own apps.
func (s *Simulator) jscode2session(r *http.Request, platform string) response {
	q := r.URL.Query()
	appID := q.Get("appid")
	if code := s.checkPlatformApp(platform, appID, q.Get("secret")); code != 0 {
		return s.wechatErr(code)
	}
	if q.Get("grant_type") != "authorization_code" {
		return s.wechatErr(40002)
	}
	jsCode := q.Get("js_code")
	if jsCode == "" {
		return s.wechatErr(40029)
	}
	lc, state := s.useLoginCode(appID, jsCode)
	switch state {
	case codeInvalid:
		return s.wechatErr(40029)
	case codeUsed:
		return s.wechatErr(40163)
	}
	key := newSessionKey()
	now := s.nowNano()
	s.sessionKeys.put(sessionKeyID(appID, lc.openID), key, now, now+int64(SessionKeyLifetime))
	return wechatJSON(code2SessionResponse{SessionKey: key, OpenID: lc.openID, UnionID: lc.unionID})
}

// codeState is what a login code presented for an exchange turned out to be.
type codeState int

const (
	codeFresh   codeState = iota // valid, and now used
	codeInvalid                  // unknown, expired, or another app's
	codeUsed                     // exchanged before
)

// useLoginCode marks the app's code used and returns what it stands for,
// when it is fresh.
func (s *Simulator) useLoginCode(appID, code string) (loginCode, codeState) {
	now := s.nowNano()
	sh := s.loginCodes.shard(code)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[code]
	switch {
	case !ok || now >= e.exp || e.val.appID != appID:
		return loginCode{}, codeInvalid
	case e.used:
		return loginCode{}, codeUsed
	}
	// Used codes stay until they expire, so that a replay is told "used".
	e.used = true
	sh.m[code] = e
	return e.val, codeFresh
}

type okResponse struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// checkSession is GET wxa/checksession: is signature the HMAC of the user's
// current session_key?
func (s *Simulator) checkSession(r *http.Request) response {
	q := r.URL.Query()
	appID, errcode := s.checkToken(q.Get("access_token"))
	if errcode != 0 {
		return s.wechatErr(errcode)
	}
	if q.Get("sig_method") != "hmac_sha256" {
		return s.wechatErr(87009)
	}
	e, ok := s.sessionKeys.get(sessionKeyID(appID, q.Get("openid")), s.nowNano())
	if !ok || !hmac.Equal([]byte(q.Get("signature")), []byte(SessionSignature(e.val))) {
		return s.wechatErr(87009)
	}
	return wechatJSON(okResponse{ErrCode: 0, ErrMsg: wechatSuccessErrMsg})
}

// SessionSignature is the checksession signature of a session key: lowercase
// hex of HMAC-SHA256 keyed with the key's base64 text, over an empty message.
func SessionSignature(sessionKey string) string {
	m := hmac.New(sha256.New, []byte(sessionKey))
	return hex.EncodeToString(m.Sum(nil))
}
