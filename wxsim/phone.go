package wxsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// phoneCode is what a getPhoneNumber button code stands for.
type phoneCode struct {
	appID, openID string
	countryCode   string // "86"
	pure          string // "13800138000"
}

// PhoneCode mints a code as the getPhoneNumber button would for user openID
// of app appID, single use and valid CodeLifetime. phone is "13800138000"
// (country code 86) or "+1 2025550123" (country code, a space, the number).
func (s *Simulator) PhoneCode(appID, openID, phone string) (string, error) {
	if !s.knows(appID) {
		return "", ErrUnknownApp
	}
	if openID == "" {
		return "", errors.New("wxsim: openid is required")
	}
	if err := checkID("openid", openID); err != nil {
		return "", err
	}
	cc, pure, err := parsePhone(phone)
	if err != nil {
		return "", err
	}
	code := newPhoneCode()
	now := s.nowNano()
	s.phoneCodes.put(code, phoneCode{appID: s.canonicalAppID(appID), openID: openID, countryCode: cc, pure: pure}, now, now+int64(CodeLifetime))
	return code, nil
}

// parsePhone splits "+1 2025550123" into "1" and "2025550123"; a number
// without "+" is Chinese ("86").
func parsePhone(phone string) (countryCode, pure string, err error) {
	if rest, ok := strings.CutPrefix(phone, "+"); ok {
		countryCode, pure, ok = strings.Cut(rest, " ")
		if !ok {
			return "", "", errors.New(`wxsim: phone with "+" needs a space after the country code, e.g. "+1 2025550123"`)
		}
	} else {
		countryCode, pure = "86", phone
	}
	if !digits(countryCode, 1, 4) {
		return "", "", errors.New("wxsim: country code must be 1 to 4 digits")
	}
	if !digits(pure, 4, 20) {
		return "", "", errors.New("wxsim: phone number must be 4 to 20 digits")
	}
	return countryCode, pure, nil
}

func digits(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

type phoneCodeRequest struct {
	AppID  string `json:"appid"`
	OpenID string `json:"openid"`
	Phone  string `json:"phone"`
}

type phoneCodeResponse struct {
	Code string `json:"code"`
}

func (s *Simulator) servePhoneCode(r *http.Request) response {
	var req phoneCodeRequest
	if resp, ok := decodeControl(r, &req); !ok {
		return resp
	}
	if !s.knows(req.AppID) {
		return controlError(http.StatusBadRequest, 40013, "unknown appid")
	}
	code, err := s.PhoneCode(req.AppID, req.OpenID, req.Phone)
	if err != nil {
		return controlError(http.StatusBadRequest, 40097, err.Error())
	}
	return controlJSON(phoneCodeResponse{Code: code})
}

type phoneNumberRequest struct {
	Code   string `json:"code"`
	OpenID string `json:"openid"`
}

type phoneNumberResponse struct {
	ErrCode   int       `json:"errcode"`
	ErrMsg    string    `json:"errmsg"`
	PhoneInfo phoneInfo `json:"phone_info"`
}

type phoneInfo struct {
	PhoneNumber     string    `json:"phoneNumber"`
	PurePhoneNumber string    `json:"purePhoneNumber"`
	CountryCode     string    `json:"countryCode"` // a string in real answers, whatever the doc shows
	Watermark       watermark `json:"watermark"`
}

type watermark struct {
	Timestamp int64  `json:"timestamp"`
	AppID     string `json:"appid"`
}

// phoneNumber is POST wxa/business/getuserphonenumber.
func (s *Simulator) phoneNumber(r *http.Request) response {
	appID, errcode := s.checkToken(r.URL.Query().Get("access_token"))
	if errcode != 0 {
		return s.wechatErr(errcode)
	}
	body, tooLarge, err := readBody(r)
	if err != nil || tooLarge {
		return s.wechatErr(47001)
	}
	var req phoneNumberRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return s.wechatErr(47001)
	}
	if req.Code == "" {
		return s.wechatErr(40029)
	}

	now := s.now()
	nowNano := now.UnixNano()
	sh := s.phoneCodes.shard(req.Code)
	sh.mu.Lock()
	e, ok := sh.m[req.Code]
	valid := ok && !e.used && nowNano < e.exp && e.val.appID == appID &&
		(req.OpenID == "" || req.OpenID == e.val.openID)
	if valid {
		e.used = true
		sh.m[req.Code] = e
	}
	sh.mu.Unlock()
	if !valid {
		return s.wechatErr(40029)
	}

	return wechatJSON(phoneNumberResponse{
		ErrCode: 0,
		ErrMsg:  wechatSuccessErrMsg,
		PhoneInfo: phoneInfo{
			PhoneNumber:     "+" + e.val.countryCode + " " + e.val.pure,
			PurePhoneNumber: e.val.pure,
			CountryCode:     e.val.countryCode,
			Watermark:       watermark{Timestamp: now.Unix(), AppID: appID},
		},
	})
}
