package wxsim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/miniauth/miniauth/internal/alipaysign"
)

// Alipay's gateway, for alipay.system.oauth.token only. Requests are checked
// as the gateway does (method, app, signature with the app's public key,
// timestamp, version, grant type), then the code; every answer is signed
// with the gateway's key over the response object's exact bytes.
//
// Choices: an openid minted as 16 digits starting 2088 is answered as
// user_id alone (an app not yet moved to open_id); any other openid is
// open_id, with a user_id derived from it. A used code is isv.code-invalid,
// Alipay having no "used" code of its own.

const (
	alipayMethod       = "alipay.system.oauth.token"
	alipayResponseKey  = "alipay_system_oauth_token_response"
	alipayErrorKey     = "error_response"
	alipayTokenSeconds = 15 * 24 * 60 * 60 // access_token expires_in
	alipayRefreshSecs  = 30 * 24 * 60 * 60 // refresh_token re_expires_in
)

var (
	alipayUserIDPattern = regexp.MustCompile(`^2088[0-9]{12}$`)
	alipayClock         = time.FixedZone("Asia/Shanghai", 8*60*60)
)

type alipayErrorBody struct {
	Code    string `json:"code"`
	Msg     string `json:"msg"`
	SubCode string `json:"sub_code"`
	SubMsg  string `json:"sub_msg"`
}

type alipayTokenBody struct {
	UserID       string `json:"user_id,omitempty"`
	OpenID       string `json:"open_id,omitempty"`
	UnionID      string `json:"union_id,omitempty"`
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	ReExpiresIn  int    `json:"re_expires_in"`
	AuthStart    string `json:"auth_start"`
}

// alipayGateway is POST gateway.do.
func (s *Simulator) alipayGateway(r *http.Request) response {
	form, ok := readForm(r)
	if !ok {
		return s.alipayErr("40002", "isv.invalid-parameter", "unreadable form")
	}
	if sub, msg := s.checkAlipayRequest(form); sub != "" {
		code := "40002"
		if len(sub) > 12 && sub[:12] == "isv.missing-" {
			code = "40001"
		}
		return s.alipayErr(code, sub, msg)
	}
	lc, state := s.useLoginCode(form.Get("app_id"), form.Get("code"))
	if state != codeFresh {
		return s.alipayErr("40002", "isv.code-invalid", "授权码code无效")
	}
	tok := alipayTokenBody{
		UnionID:      lc.unionID,
		AccessToken:  "authusrB" + newSessionKey(),
		ExpiresIn:    alipayTokenSeconds,
		RefreshToken: "authusrB" + newSessionKey(),
		ReExpiresIn:  alipayRefreshSecs,
		AuthStart:    s.now().In(alipayClock).Format("2006-01-02 15:04:05"),
	}
	if alipayUserIDPattern.MatchString(lc.openID) {
		tok.UserID = lc.openID
	} else {
		tok.OpenID, tok.UserID = lc.openID, alipayUserID(lc.openID)
	}
	return s.alipaySigned(alipayResponseKey, tok, 0)
}

// checkAlipayRequest answers the gateway's sub_code and message for a
// request it refuses, "" for one it takes.
func (s *Simulator) checkAlipayRequest(form url.Values) (subCode, msg string) {
	a, known := s.platformApp(platformAlipay, form.Get("app_id"))
	switch {
	case form.Get("method") == "":
		return "isv.missing-method", "缺少方法名参数"
	case form.Get("method") != alipayMethod:
		return "isv.invalid-method", "不存在的方法名"
	case form.Get("app_id") == "":
		return "isv.missing-app-id", "缺少appId参数"
	case !known:
		return "isv.invalid-app-id", "无效的AppID参数"
	case form.Get("sign") == "":
		return "isv.missing-signature", "缺少签名参数"
	case form.Get("sign_type") != "RSA2":
		return "isv.invalid-signature-type", "无效的签名类型"
	case alipaysign.Verify(a.publicKey, []byte(alipaysign.Content(form)), form.Get("sign")) != nil:
		return "isv.invalid-signature", "验签出错"
	}
	if _, err := time.ParseInLocation("2006-01-02 15:04:05", form.Get("timestamp"), alipayClock); err != nil {
		return "isv.invalid-timestamp", "非法的时间戳参数"
	}
	switch {
	case form.Get("version") != "1.0":
		return "isv.invalid-version", "版本号错误"
	case form.Get("grant_type") != "authorization_code":
		return "isv.grant-type-invalid", "grant_type参数不正确"
	case form.Get("code") == "":
		return "isv.code-invalid", "授权码code无效"
	}
	return "", ""
}

func (s *Simulator) alipayErr(code, subCode, subMsg string) response {
	var errcode int
	fmt.Sscan(code, &errcode)
	return s.alipaySigned(alipayErrorKey, alipayErrorBody{Code: code, Msg: alipayCodeMsg(code), SubCode: subCode, SubMsg: subMsg}, errcode)
}

// alipaySigned is {"<key>": v, "sign": ...}, the signature covering v's
// bytes exactly as written.
func (s *Simulator) alipaySigned(key string, v any, errcode int) response {
	inner, err := json.Marshal(v)
	if err != nil {
		panic("wxsim: marshal: " + err.Error()) // our own structs
	}
	sign, err := alipaysign.Sign(s.alipayKey, inner)
	if err != nil {
		panic("wxsim: signing an Alipay answer: " + err.Error())
	}
	keyJSON, _ := json.Marshal(key)
	signJSON, _ := json.Marshal(sign)
	body := make([]byte, 0, len(inner)+len(sign)+64)
	body = append(append(append(body, '{'), keyJSON...), ':')
	body = append(append(append(body, inner...), `,"sign":`...), signJSON...)
	body = append(body, '}')
	return response{errcode: errcode, contentType: "text/html;charset=utf-8", body: body}
}

// alipayUserID derives a stable 2088… user_id from an open_id.
func alipayUserID(openID string) string {
	sum := sha256.Sum256([]byte(openID))
	return fmt.Sprintf("2088%012d", binary.BigEndian.Uint64(sum[:8])%1_000_000_000_000)
}

func alipayCodeMsg(code string) string {
	switch code {
	case "20000":
		return "Service Currently Unavailable"
	case "20001":
		return "Insufficient Token Permissions"
	case "40001":
		return "Missing Required Arguments"
	case "40002":
		return "Invalid Arguments"
	case "40004":
		return "Business Failed"
	case "40006":
		return "Insufficient Permissions"
	}
	return "Simulated Error"
}

// alipayFaultSubCode is the sub_code of a fault's gateway code.
func alipayFaultSubCode(code int) string {
	switch code {
	case 20000:
		return "isp.unknow-error"
	case 40002:
		return "isv.code-invalid"
	}
	return "isp.simulated-error"
}
