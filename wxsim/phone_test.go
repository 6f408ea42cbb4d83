package wxsim_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/wxsim"
)

func TestPhoneNumberSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		phone, phoneNumber, pure, countryCode string
	}{
		{"13800138000", "+86 13800138000", "13800138000", "86"},
		{"+86 13800138000", "+86 13800138000", "13800138000", "86"},
		{"+1 2025550123", "+1 2025550123", "2025550123", "1"},
		{"+852 51234567", "+852 51234567", "51234567", "852"},
	}
	e := newEnv(t)
	tok := e.accessToken()
	for _, tt := range tests {
		t.Run(tt.phone, func(t *testing.T) {
			code := e.phoneCode(appA, "oUser1", tt.phone)
			if len(code) != 64 {
				t.Fatalf("phone code %q: want 64 characters", code)
			}
			m := e.phoneNumber(tok, mustJSON(t, map[string]string{"code": code, "openid": "oUser1"}))
			if errcode(m) != 0 || m["errmsg"] != "ok" {
				t.Fatalf("answer %v", m)
			}
			info, _ := m["phone_info"].(map[string]any)
			if info["phoneNumber"] != tt.phoneNumber || info["purePhoneNumber"] != tt.pure {
				t.Fatalf("phone_info %v", info)
			}
			if cc, ok := info["countryCode"].(string); !ok || cc != tt.countryCode {
				t.Fatalf("countryCode %#v, want the string %q", info["countryCode"], tt.countryCode)
			}
			wm, _ := info["watermark"].(map[string]any)
			if wm["appid"] != appA || wm["timestamp"] != float64(e.clk.Now().Unix()) {
				t.Fatalf("watermark %v", wm)
			}
		})
	}

	// Without openid in the body, the code alone is enough.
	code := e.phoneCode(appA, "oUser1", "13800138000")
	if m := e.phoneNumber(tok, `{"code":"`+code+`"}`); errcode(m) != 0 {
		t.Fatalf("without openid: %v", m)
	}
}

func TestPhoneNumberErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.accessToken()
	tokB := e.plainToken(appB, secretB)["access_token"].(string)

	used := e.phoneCode(appA, "oUser1", "13800138000")
	if m := e.phoneNumber(tok, `{"code":"`+used+`"}`); errcode(m) != 0 {
		t.Fatalf("first use: %v", m)
	}
	old := e.phoneCode(appA, "oUser1", "13800138000")
	superseded := e.accessToken() // tok is superseded now, still valid 5 minutes
	e.clk.Advance(wxsim.CodeLifetime)
	tok = e.accessToken() // superseded is now valid only until +5 minutes
	fresh := func() string { return e.phoneCode(appA, "oUser1", "13800138000") }

	tests := []struct {
		name    string
		token   string
		body    string
		errcode int
	}{
		{"missing token", "", `{"code":"` + fresh() + `"}`, 41001},
		{"unknown token", "86_nope", `{"code":"` + fresh() + `"}`, 40001},
		{"not JSON", tok, `code=abc`, 47001},
		{"JSON of the wrong type", tok, `["code"]`, 47001},
		{"empty body", tok, ``, 47001},
		{"too large", tok, `{"code":"` + strings.Repeat("x", 70<<10) + `"}`, 47001},
		{"missing code", tok, `{}`, 40029},
		{"unknown code", tok, `{"code":"abc"}`, 40029},
		{"used code", tok, `{"code":"` + used + `"}`, 40029},
		{"expired code", tok, `{"code":"` + old + `"}`, 40029},
		{"openid mismatch", tok, `{"code":"` + fresh() + `","openid":"oSomeoneElse"}`, 40029},
		{"another app's token", tokB, `{"code":"` + fresh() + `"}`, 40029},
		{"superseded token within 5 minutes", superseded, `{"code":"` + fresh() + `"}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := e.phoneNumber(tt.token, tt.body)
			if tt.errcode == 0 {
				if errcode(m) != 0 {
					t.Fatalf("answer %v, want success", m)
				}
				return
			}
			wantErr(t, m, tt.errcode)
		})
	}

	// A failed attempt (wrong openid) does not use the code up.
	code := fresh()
	wantErr(t, e.phoneNumber(tok, `{"code":"`+code+`","openid":"oSomeoneElse"}`), 40029)
	if m := e.phoneNumber(tok, `{"code":"`+code+`","openid":"oUser1"}`); errcode(m) != 0 {
		t.Fatalf("code unusable after a failed attempt: %v", m)
	}

	// Code lifetime edge: valid 1 s before 5 minutes.
	code = fresh()
	e.clk.Advance(wxsim.CodeLifetime - time.Second)
	tok = e.accessToken()
	if m := e.phoneNumber(tok, `{"code":"`+code+`"}`); errcode(m) != 0 {
		t.Fatalf("code 1s before expiry: %v", m)
	}

	// An expired token (the newest one, so not superseded) answers 42001.
	e.clk.Advance(wxsim.TokenLifetime)
	wantErr(t, e.phoneNumber(tok, `{"code":"`+fresh()+`"}`), 42001)
}

func TestPhoneCodeControl(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		body    string
		status  int
		errcode int
	}{
		{"unknown appid", `{"appid":"wxnope","openid":"o1","phone":"13800138000"}`, 400, 40013},
		{"missing openid", `{"appid":"` + appA + `","phone":"13800138000"}`, 400, 40097},
		{"missing phone", `{"appid":"` + appA + `","openid":"o1"}`, 400, 40097},
		{"plus without space", `{"appid":"` + appA + `","openid":"o1","phone":"+8613800138000"}`, 400, 40097},
		{"letters", `{"appid":"` + appA + `","openid":"o1","phone":"1380013800x"}`, 400, 40097},
		{"country code too long", `{"appid":"` + appA + `","openid":"o1","phone":"+12345 2025550123"}`, 400, 40097},
		{"not JSON", `phone=1`, 400, 47001},
		{"unknown field", `{"appid":"` + appA + `","openid":"o1","phone":"13800138000","x":1}`, 400, 47001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := e.do(http.MethodPost, "_sim/phone-code", nil, tt.body)
			if status != tt.status || errcode(decode(t, b)) != tt.errcode {
				t.Fatalf("status %d body %s; want %d errcode %d", status, b, tt.status, tt.errcode)
			}
		})
	}
	if _, err := e.sim.PhoneCode("wxnope", "o1", "13800138000"); err != wxsim.ErrUnknownApp {
		t.Fatalf("PhoneCode unknown app: %v", err)
	}
}
