package main

import (
	"net/http/httptest"
	"testing"

	"github.com/miniauth/miniauth/wxsim"
)

// Two mini programs from a TOML file: a login must name its appid, and the
// session belongs to that app. The simulator is mounted on request.
func TestSeveralAppsFromAConfigFile(t *testing.T) {
	apps := map[string]string{"wxfirstapp0000001": "first-secret", "wxsecondapp000002": "second-secret"}
	sim := wxsim.New(wxsim.Options{Apps: apps})
	wx := httptest.NewServer(sim)
	defer wx.Close()

	toml := `
[wechat]
base_url = "` + wx.URL + `"
simulator = true

[[wechat.apps]]
appid = "wxfirstapp0000001"
secret = "first-secret"

[[wechat.apps]]
appid = "wxsecondapp000002"
secret = "second-secret"
`
	n := startNodeWithFile(t, toml)

	code, _, _ := sim.LoginCode("wxsecondapp000002", "", "")
	r := call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code})
	if r.status != 400 || r.errorCode(t) != "invalid_request" {
		t.Errorf("login without appid among several apps: %d %s", r.status, r.body)
	}
	a := decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code, "appid": "wxsecondapp000002"}))
	v := call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil)
	if v.header.Get("X-Appid") != "wxsecondapp000002" {
		t.Errorf("session app: %q", v.header.Get("X-Appid"))
	}
	// A code of one app presented for the other is WeChat's 40029.
	code, _, _ = sim.LoginCode("wxfirstapp0000001", "", "")
	r = call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code, "appid": "wxsecondapp000002"})
	if r.status != 400 || r.errorCode(t) != "invalid_code" {
		t.Errorf("another app's code: %d %s", r.status, r.body)
	}
	// MINIAUTH_WECHAT_SIMULATOR=true (here simulator = true) mounts it
	// outside dev mode, knowing the configured apps.
	if r := call(t, "POST", n.URL+"/_wxsim/_sim/login-code", "", map[string]string{"appid": "wxfirstapp0000001"}); r.status != 200 {
		t.Errorf("mounted simulator: %d %s", r.status, r.body)
	}
}
