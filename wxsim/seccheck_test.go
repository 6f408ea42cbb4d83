package wxsim_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/miniauth/miniauth/wxsim"
)

func (e *env) msgSecCheck(token string, req map[string]any) map[string]any {
	e.t.Helper()
	return e.wechat(http.MethodPost, "wxa/msg_sec_check", url.Values{"access_token": {token}}, mustJSON(e.t, req))
}

func TestMsgSecCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.accessToken()
	code, openID := e.loginCode(appA, "", "")
	if m := e.code2Session(appA, secretA, code); errcode(m) != 0 {
		t.Fatalf("login: %v", m)
	}
	v2 := func(content string) map[string]any {
		return map[string]any{"version": 2, "scene": 1, "openid": openID, "content": content}
	}

	m := e.msgSecCheck(tok, v2("小明🐱"))
	res, _ := m["result"].(map[string]any)
	if errcode(m) != 0 || res["suggest"] != "pass" || m["trace_id"] == "" {
		t.Fatalf("a clean text: %v", m)
	}
	m = e.msgSecCheck(tok, v2("my "+strings.ToUpper(wxsim.DefaultRiskyWord)+" name"))
	res, _ = m["result"].(map[string]any)
	if errcode(m) != 0 || res["suggest"] != "risky" || res["label"] != float64(20006) {
		t.Fatalf("the default risky word: %v", m)
	}
	if m := e.msgSecCheck(tok, map[string]any{"content": "x " + wxsim.DefaultRiskyWord}); errcode(m) != 87014 {
		t.Fatalf("version 1 with the risky word: %v", m)
	}

	wantErr(t, e.msgSecCheck(tok, map[string]any{"version": 2, "scene": 1, "openid": "oNeverLoggedIn", "content": "x"}), 40003)
	wantErr(t, e.msgSecCheck(tok, map[string]any{"version": 2, "scene": 9, "openid": openID, "content": "x"}), 47001)
	wantErr(t, e.msgSecCheck(tok, v2("")), 47001)
	wantErr(t, e.msgSecCheck(tok, v2(strings.Repeat("字", 2501))), 47001)
	wantErr(t, e.msgSecCheck("not-a-token", v2("x")), 40001)
	if got := e.sim.Stats().Calls["wxa/msg_sec_check"]; got != 8 {
		t.Fatalf("calls counted: %d; want 8", got)
	}
}

func TestMsgSecCheckFaultAndConfiguredWords(t *testing.T) {
	t.Parallel()
	sim := wxsim.New(wxsim.Options{Apps: map[string]string{appA: secretA}, RiskyWords: []string{"Spam"}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	e := &env{t: t, sim: sim, srv: srv, base: srv.URL + "/"}
	tok := e.accessToken()
	code, openID := e.loginCode(appA, "", "")
	e.code2Session(appA, secretA, code)
	check := func(content string) map[string]any {
		return e.msgSecCheck(tok, map[string]any{"version": 2, "scene": 1, "openid": openID, "content": content})
	}
	if res, _ := check("buy spam now")["result"].(map[string]any); res["suggest"] != "risky" {
		t.Fatalf("a configured word passed: %v", res)
	}
	if res, _ := check("a " + wxsim.DefaultRiskyWord)["result"].(map[string]any); res["suggest"] != "pass" {
		t.Fatalf("the default word is not risky when words are configured: %v", res)
	}
	if err := sim.AddFault(wxsim.Fault{Endpoint: "wxa/msg_sec_check", ErrCode: -1}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, check("x"), -1)
}
