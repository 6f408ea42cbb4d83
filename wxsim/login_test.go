package wxsim_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/wxsim"
)

func TestCode2SessionSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	code, openID := e.loginCode(appA, "", "")
	if len(openID) != 28 || openID[0] != 'o' {
		t.Fatalf("openid %q: want 28 characters starting with o", openID)
	}
	if len(code) != 32 {
		t.Fatalf("code %q: want 32 characters", code)
	}
	m := e.code2Session(appA, secretA, code)
	if errcode(m) != 0 || m["openid"] != openID {
		t.Fatalf("answer %v, want openid %s", m, openID)
	}
	if _, ok := m["unionid"]; ok {
		t.Fatalf("unionid in answer without one: %v", m)
	}
	key, _ := m["session_key"].(string)
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 {
		t.Fatalf("session_key %q is not base64 of 16 bytes", key)
	}

	// The same user logs in again, now with a unionid: a new session key.
	code, _ = e.loginCode(appA, openID, "oUnion123")
	m2 := e.code2Session(appA, secretA, code)
	if m2["openid"] != openID || m2["unionid"] != "oUnion123" {
		t.Fatalf("answer %v", m2)
	}
	if m2["session_key"] == key {
		t.Fatal("session_key repeated across logins")
	}
	if got, ok := e.sim.SessionKey(appA, openID); !ok || got != m2["session_key"] {
		t.Fatalf("SessionKey = %q, %v; want the newest", got, ok)
	}
}

func TestCode2SessionErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	used, _ := e.loginCode(appA, "", "")
	if m := e.code2Session(appA, secretA, used); errcode(m) != 0 {
		t.Fatalf("first exchange: %v", m)
	}

	tests := []struct {
		name    string
		query   url.Values
		errcode int
	}{
		{"unknown appid", url.Values{"appid": {"wxnope"}, "secret": {secretA}}, 40013},
		{"missing appid", url.Values{"secret": {secretA}}, 41002},
		{"wrong secret", url.Values{"appid": {appA}, "secret": {secretB}}, 40125},
		{"missing secret", url.Values{"appid": {appA}}, 41004},
		{"wrong grant_type", url.Values{"appid": {appA}, "secret": {secretA}, "grant_type": {"client_credential"}}, 40002},
		{"empty code", url.Values{"appid": {appA}, "secret": {secretA}, "js_code": {""}}, 40029},
		{"unknown code", url.Values{"appid": {appA}, "secret": {secretA}, "js_code": {"0a1b2c3d4e5f0a1b2c3d4e5f0a1b2c3d"}}, 40029},
		{"used code", url.Values{"appid": {appA}, "secret": {secretA}, "js_code": {used}}, 40163},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"grant_type": {"authorization_code"}, "js_code": {"0a1b2c3d4e5f0a1b2c3d4e5f0a1b2c3d"}}
			for k, v := range tt.query {
				q[k] = v
			}
			wantErr(t, e.wechat(http.MethodGet, "sns/jscode2session", q, ""), tt.errcode)
		})
	}
}

func TestCode2SessionFailuresDoNotConsume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, openID := e.loginCode(appA, "", "")

	wantErr(t, e.code2Session(appA, "wrong", code), 40125)
	wantErr(t, e.code2Session("wxnope", secretA, code), 40013)
	wantErr(t, e.code2Session(appB, secretB, code), 40029) // another app's code
	if m := e.code2Session(appA, secretA, code); errcode(m) != 0 || m["openid"] != openID {
		t.Fatalf("code unusable after failed attempts: %v", m)
	}
	wantErr(t, e.code2Session(appA, secretA, code), 40163)
}

func TestCode2SessionExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		use     bool // exchange once before waiting
		wait    time.Duration
		errcode int
	}{
		{"fresh just before 5 minutes", false, wxsim.CodeLifetime - time.Second, 0},
		{"expired at 5 minutes", false, wxsim.CodeLifetime, 40029},
		{"expired after 5 minutes", false, wxsim.CodeLifetime + time.Minute, 40029},
		{"used, within 5 minutes", true, wxsim.CodeLifetime - time.Second, 40163},
		{"used, then expired", true, wxsim.CodeLifetime, 40029},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			code, _ := e.loginCode(appA, "", "")
			if tt.use {
				if m := e.code2Session(appA, secretA, code); errcode(m) != 0 {
					t.Fatalf("first exchange: %v", m)
				}
			}
			e.clk.Advance(tt.wait)
			m := e.code2Session(appA, secretA, code)
			if tt.errcode == 0 {
				if errcode(m) != 0 || m["openid"] == nil {
					t.Fatalf("answer %v, want success", m)
				}
				return
			}
			wantErr(t, m, tt.errcode)
		})
	}
}

func TestLoginCodeControl(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name    string
		method  string
		body    string
		status  int
		errcode int
	}{
		{"given openid", http.MethodPost, `{"appid":"` + appA + `","openid":"oGiven"}`, 200, 0},
		{"unknown appid", http.MethodPost, `{"appid":"wxnope"}`, 400, 40013},
		{"missing appid", http.MethodPost, `{}`, 400, 40013},
		{"not JSON", http.MethodPost, `appid=x`, 400, 47001},
		{"unknown field", http.MethodPost, `{"appid":"` + appA + `","open_id":"x"}`, 400, 47001},
		{"trailing data", http.MethodPost, `{"appid":"` + appA + `"} {}`, 400, 47001},
		{"openid too long", http.MethodPost, `{"appid":"` + appA + `","openid":"` + strings.Repeat("o", 129) + `"}`, 400, 40097},
		{"openid with space", http.MethodPost, `{"appid":"` + appA + `","openid":"o x"}`, 400, 40097},
		{"body too large", http.MethodPost, `{"appid":"` + strings.Repeat("x", 70<<10) + `"}`, 413, 47001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := e.do(tt.method, "_sim/login-code", nil, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, b)
			}
			m := decode(t, b)
			if errcode(m) != tt.errcode {
				t.Fatalf("errcode %d, want %d: %s", errcode(m), tt.errcode, b)
			}
			if tt.status == 200 && m["openid"] != "oGiven" {
				t.Fatalf("openid %v, want oGiven", m["openid"])
			}
			if tt.status != 200 && m["errmsg"] == "" {
				t.Fatalf("no message: %s", b)
			}
		})
	}
	if status, _ := e.do(http.MethodGet, "_sim/login-code", nil, ""); status != http.StatusMethodNotAllowed {
		t.Fatalf("GET login-code: status %d, want 405", status)
	}
}

func TestLoginCodeGo(t *testing.T) {
	t.Parallel()
	sim := wxsim.New(wxsim.Options{})
	if _, _, err := sim.LoginCode("wxnope", "", ""); err != wxsim.ErrUnknownApp {
		t.Fatalf("unknown app: err %v", err)
	}
	code, openID, err := sim.LoginCode(wxsim.DevAppID, "", "")
	if err != nil || code == "" || openID == "" {
		t.Fatalf("dev app: %q %q %v", code, openID, err)
	}
	if _, _, err := sim.LoginCode(wxsim.DevAppID, "o\n", ""); err == nil {
		t.Fatal("control character in openid accepted")
	}
}

func TestCheckSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, openID := e.loginCode(appA, "", "")
	oldKey := e.code2Session(appA, secretA, code)["session_key"].(string)
	code, _ = e.loginCode(appA, openID, "")
	key := e.code2Session(appA, secretA, code)["session_key"].(string)
	tok := e.accessToken()
	tokB := e.plainToken(appB, secretB)["access_token"].(string)

	tests := []struct {
		name      string
		token     string
		openID    string
		signature string
		sigMethod string
		errcode   int
	}{
		{"current key", tok, openID, wxsim.SessionSignature(key), "hmac_sha256", 0},
		{"replaced key", tok, openID, wxsim.SessionSignature(oldKey), "hmac_sha256", 87009},
		{"uppercase hex", tok, openID, strings.ToUpper(wxsim.SessionSignature(key)), "hmac_sha256", 87009},
		{"garbage", tok, openID, "abc", "hmac_sha256", 87009},
		{"unknown openid", tok, "oUnknown", wxsim.SessionSignature(key), "hmac_sha256", 87009},
		{"another app's token", tokB, openID, wxsim.SessionSignature(key), "hmac_sha256", 87009},
		{"wrong sig_method", tok, openID, wxsim.SessionSignature(key), "sha1", 87009},
		{"missing token", "", openID, wxsim.SessionSignature(key), "hmac_sha256", 41001},
		{"unknown token", "86_nope", openID, wxsim.SessionSignature(key), "hmac_sha256", 40001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"openid": {tt.openID}, "signature": {tt.signature}, "sig_method": {tt.sigMethod}}
			if tt.token != "" {
				q.Set("access_token", tt.token)
			}
			m := e.wechat(http.MethodGet, "wxa/checksession", q, "")
			if tt.errcode == 0 {
				if errcode(m) != 0 || m["errmsg"] != "ok" {
					t.Fatalf("answer %v, want ok", m)
				}
				return
			}
			wantErr(t, m, tt.errcode)
		})
	}

	// The HMAC is over an empty message keyed with the base64 text; this
	// vector was computed independently with
	//   printf '' | openssl dgst -sha256 -hmac 'HyVFkGl5F5OQWJZZaNzBBg=='
	const vecKey = "HyVFkGl5F5OQWJZZaNzBBg=="
	const opensslVector = "252b75c92698025afe925b29cca5517fdf9ee67aae072cf3225ebf3a53783058"
	if got, want := wxsim.SessionSignature(vecKey), opensslVector; got != want {
		t.Fatalf("SessionSignature(%q) = %s, want %s", vecKey, got, want)
	}

	e.clk.Advance(wxsim.TokenLifetime)
	wantErr(t, e.checkSession(tok, openID, wxsim.SessionSignature(key)), 42001)
}

func TestParseApp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, appID, secret string
		ok                bool
	}{
		{"wx123:abc", "wx123", "abc", true},
		{"wx123:a:b", "wx123", "a:b", true},
		{"wx123", "", "", false},
		{":abc", "", "", false},
		{"wx123:", "", "", false},
	}
	for _, tt := range tests {
		appID, secret, err := wxsim.ParseApp(tt.in)
		if (err == nil) != tt.ok || appID != tt.appID || secret != tt.secret {
			t.Errorf("ParseApp(%q) = %q, %q, %v", tt.in, appID, secret, err)
		}
	}
}
