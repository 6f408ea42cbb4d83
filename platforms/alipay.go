package platforms

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/alipaysign"
)

// alipay is alipay.system.oauth.token through Alipay's gateway: a form POST
// of the common parameters and the method's own, signed RSA2 with the app's
// private key; the answer is signed by Alipay and verified with its public
// key before anything in it is believed.
//
//	POST gateway.do form app_id, method, format, charset, sign_type, timestamp, version, grant_type, code, sign
//	→ {"alipay_system_oauth_token_response": {"user_id","open_id","union_id","access_token",...}, "sign"}
//	or {"error_response": {"code","msg","sub_code","sub_msg"}, "sign"}
//
// The user is open_id when Alipay gives one, else user_id (apps created
// before open_id). Alipay has no session key; its access_token is not kept.
type alipay struct {
	appID    string
	key      *rsa.PrivateKey
	alipay   *rsa.PublicKey
	now      func() time.Time
	location *time.Location
}

const (
	alipayMethod      = "alipay.system.oauth.token"
	alipayResponseKey = "alipay_system_oauth_token_response"
	alipayErrorKey    = "error_response"
	alipayTimeLayout  = "2006-01-02 15:04:05"
	alipaySuccessCode = "10000"
)

// alipayCodes: sub_codes first (the precise reason), then the gateway's
// codes (20000 unavailable, 40001 missing and 40002 invalid arguments,
// 40004 business failure, 40006 no permission).
var alipayCodes = errorCodes{
	"isv.code-invalid":      miniauth.EInvalidCode,
	"isv.invalid-signature": miniauth.EUpstreamUnavailable, // our key does not match the one Alipay has
	"isv.invalid-app-id":    miniauth.EUpstreamUnavailable,
	"isp.unknow-error":      miniauth.EUpstreamUnavailable,
	"aop.unknow-error":      miniauth.EUpstreamUnavailable,
	"20000":                 miniauth.EUpstreamUnavailable,
	"20001":                 miniauth.EUpstreamUnavailable,
	"40001":                 miniauth.EUpstreamUnavailable,
	"40002":                 miniauth.EUpstreamUnavailable,
	"40004":                 miniauth.EUpstreamUnavailable,
	"40006":                 miniauth.EUpstreamUnavailable,
}

// shanghai is Alipay's clock: China has one zone and no daylight saving,
// so a fixed zone needs no tzdata on the host.
var shanghai = time.FixedZone("Asia/Shanghai", 8*60*60)

func newAlipay(opts Options) (api, error) {
	switch {
	case opts.PrivateKey == nil:
		return nil, errors.New("the app's private key is required")
	case opts.AlipayPublicKey == nil:
		return nil, errors.New("Alipay's public key is required")
	case opts.Secret != "":
		return nil, errors.New("Alipay apps sign with their private key; a secret is not used")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return alipay{appID: opts.AppID, key: opts.PrivateKey, alipay: opts.AlipayPublicKey, now: now, location: shanghai}, nil
}

func (alipay) endpoint() string { return "gateway.do" }

func (a alipay) request(ctx context.Context, base, code string) (*http.Request, error) {
	form := url.Values{
		"app_id":     {a.appID},
		"method":     {alipayMethod},
		"format":     {"JSON"},
		"charset":    {"utf-8"},
		"sign_type":  {"RSA2"},
		"timestamp":  {a.now().In(a.location).Format(alipayTimeLayout)},
		"version":    {"1.0"},
		"grant_type": {"authorization_code"},
		"code":       {code},
	}
	sign, err := alipaysign.Sign(a.key, []byte(alipaysign.Content(form)))
	if err != nil {
		return nil, err
	}
	form.Set("sign", sign)
	return postForm(ctx, base+"/"+a.endpoint(), form)
}

type alipayToken struct {
	Code    string `json:"code"` // absent or "10000" on success
	SubCode string `json:"sub_code"`
	UserID  string `json:"user_id"`
	OpenID  string `json:"open_id"`
	UnionID string `json:"union_id"`
}

func (a alipay) parse(status int, body []byte) (*miniauth.LoginSession, result) {
	if status != http.StatusOK {
		return nil, httpStatus(a.endpoint(), status)
	}
	var envelope map[string]json.RawMessage
	if err := json.Unmarshal(body, &envelope); err != nil {
		return nil, badJSON(a.endpoint())
	}
	var sign string
	if raw, ok := envelope["sign"]; ok && json.Unmarshal(raw, &sign) != nil {
		return nil, badJSON(a.endpoint())
	}
	if raw, isError := envelope[alipayErrorKey]; isError {
		return nil, a.errorAnswer(raw, sign)
	}
	raw, found := envelope[alipayResponseKey]
	if !found {
		return nil, badJSON(a.endpoint())
	}
	// The signature covers the response object exactly as it was sent.
	if sign == "" || alipaysign.Verify(a.alipay, raw, sign) != nil {
		return nil, unavailable(a.endpoint(), "bad signature", labelBadSignature)
	}
	var tok alipayToken
	if err := json.Unmarshal(raw, &tok); err != nil {
		return nil, badJSON(a.endpoint())
	}
	if tok.Code != "" && tok.Code != alipaySuccessCode {
		return nil, alipayCodes.platformError(a.endpoint(), firstKnown(tok.SubCode, tok.Code))
	}
	openID := tok.OpenID
	if openID == "" {
		openID = tok.UserID
	}
	if openID == "" {
		return nil, badJSON(a.endpoint())
	}
	return &miniauth.LoginSession{OpenID: openID, UnionID: tok.UnionID}, ok
}

// errorAnswer reads an error_response. Alipay signs these too, but not
// always (a request it could not authenticate gets none); an error grants
// nothing, so an unsigned one is believed, and a wrongly signed one is not.
func (a alipay) errorAnswer(raw json.RawMessage, sign string) result {
	if sign != "" && alipaysign.Verify(a.alipay, raw, sign) != nil {
		return unavailable(a.endpoint(), "bad signature", labelBadSignature)
	}
	var e alipayToken
	if err := json.Unmarshal(raw, &e); err != nil || e.Code == "" {
		return badJSON(a.endpoint())
	}
	return alipayCodes.platformError(a.endpoint(), firstKnown(e.SubCode, e.Code))
}

// firstKnown is the sub_code when Alipay's table has it, else the code.
func firstKnown(subCode, code string) string {
	if _, ok := alipayCodes[subCode]; ok {
		return subCode
	}
	return code
}
