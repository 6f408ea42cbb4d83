package main

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/miniauth/miniauth/internal/alipaysign"
	"github.com/miniauth/miniauth/wxsim"
)

// platformApp is one row of the table: an app of each platform.
type platformApp struct {
	platform, appID, secret string
	endpoint                string // its login endpoint, as the simulator's faults and stats name it
	systemError             int    // the platform's system error, as a fault's errcode
}

var platformApps = []platformApp{
	{"weixin", "wxe2eapp000000001", "wx-secret", "sns/jscode2session", -1},
	{"qq", "1110000001", "qq-secret", "qq/sns/jscode2session", -1},
	{"douyin", "tte2eapp00000001", "tt-secret", "douyin/api/apps/v2/jscode2session", -1},
	{"alipay", "2021000099990001", "", "alipay/gateway.do", 20000},
	{"baidu", "bde2eappkey00001", "bd-secret", "baidu/oauth/jscode2sessionkey", 500},
	{"kuaishou", "kse2eapp00000001", "ks-secret", "kuaishou/oauth2/mp/code2session", 2},
}

var e2eKeys = sync.OnceValue(func() [3]*rsa.PrivateKey { // the app's, the gateway's, a stranger's
	var keys [3]*rsa.PrivateKey
	for i := range keys {
		k, err := alipaysign.NewKey()
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

// platformWorld is a standalone simulator knowing one app of every platform,
// and a node configured for them by a TOML file, as in production.
type platformWorld struct {
	sim    *wxsim.Simulator
	simURL string
	node   *testNode
}

// startPlatformWorld writes the Alipay keys to files and starts both;
// appKey is the key the node signs Alipay requests with.
func startPlatformWorld(t *testing.T, appKey *rsa.PrivateKey) *platformWorld {
	t.Helper()
	keys := e2eKeys()
	var simApps []wxsim.App
	for _, a := range platformApps {
		app := wxsim.App{Platform: a.platform, AppID: a.appID, Secret: a.secret}
		if a.platform == "alipay" {
			app.AlipayAppPublicKey = alipaysign.PublicPEM(&keys[0].PublicKey)
		}
		simApps = append(simApps, app)
	}
	sim := wxsim.New(wxsim.Options{PlatformApps: simApps, AlipayGatewayKey: keys[1]})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	privFile, pubFile := filepath.Join(dir, "app_private.pem"), filepath.Join(dir, "alipay_public.pem")
	os.WriteFile(privFile, alipaysign.PrivatePEM(appKey), 0o600)
	os.WriteFile(pubFile, alipaysign.PublicPEM(&keys[1].PublicKey), 0o600)
	toml := fmt.Sprintf("[wechat]\nbase_url = %q\ntimeout = \"300ms\"\n", srv.URL)
	for _, a := range platformApps {
		toml += fmt.Sprintf("\n[[apps]]\nplatform = %q\nappid = %q\n", a.platform, a.appID)
		switch a.platform {
		case "weixin":
			toml += fmt.Sprintf("secret = %q\n", a.secret)
		case "alipay":
			toml += fmt.Sprintf("private_key_file = %q\nalipay_public_key_file = %q\n", privFile, pubFile)
		default:
			toml += fmt.Sprintf("secret = %q\n", a.secret)
		}
		if a.platform != "weixin" {
			toml += fmt.Sprintf("base_url = %q\n", srv.URL+"/"+strings.TrimSuffix(wxsim.PathPrefix(a.platform), "/"))
		}
	}
	return &platformWorld{sim: sim, simURL: srv.URL, node: startNodeWithFile(t, toml)}
}

// code mints a login code of the app over the simulator's control endpoint,
// as the phone's login() would give it.
func (w *platformWorld) code(t *testing.T, appID, openid string) string {
	t.Helper()
	r := call(t, "POST", w.simURL+"/_sim/login-code", "", map[string]string{"appid": appID, "openid": openid})
	if r.status != 200 {
		t.Fatalf("login-code: %d %s", r.status, r.body)
	}
	return r.json(t)["code"].(string)
}

func (w *platformWorld) login(t *testing.T, appID, code string) response {
	t.Helper()
	return call(t, "POST", w.node.URL+"/api/v1/auth/login", "", map[string]string{"appid": appID, "code": code})
}

func (w *platformWorld) fault(t *testing.T, fault map[string]any) {
	t.Helper()
	if r := call(t, "POST", w.simURL+"/_sim/faults", "", fault); r.status != 204 {
		t.Fatalf("fault: %d %s", r.status, r.body)
	}
}

func (w *platformWorld) calls(t *testing.T, endpoint string) float64 {
	t.Helper()
	var stats struct{ Calls map[string]float64 }
	if err := json.Unmarshal(call(t, "GET", w.simURL+"/_sim/stats", "", nil).body, &stats); err != nil {
		t.Fatal(err)
	}
	return stats.Calls[endpoint]
}

func wantError(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.errorCode(t) != code {
		t.Errorf("%s: %d %s, want %d %s", what, r.status, r.body, status, code)
	}
}

// One body for every platform, through the simulator and a real node: a
// first login, a second one (the same user), a used code, the platform's
// system error, and a timeout that costs exactly one call.
func TestEveryPlatformLogsIn(t *testing.T) {
	w := startPlatformWorld(t, e2eKeys()[0])
	for _, a := range platformApps {
		t.Run(a.platform, func(t *testing.T) {
			openid := "e2e-" + a.platform
			if a.platform == "alipay" {
				openid = "2088000000000042" // a user_id: the app predates open_id
			}
			code := w.code(t, a.appID, openid)
			first := decodeLogin(t, w.login(t, a.appID, code))
			if first.NewUser == nil || !*first.NewUser || first.User.OpenID != openid {
				t.Errorf("first login: %+v", first)
			}
			v := call(t, "GET", w.node.URL+"/api/v1/auth/verify", first.AccessToken, nil)
			if v.status != 200 || v.header.Get("X-Appid") != a.appID || v.header.Get("X-Openid") != openid {
				t.Errorf("verify: %d %v", v.status, v.header)
			}
			second := decodeLogin(t, w.login(t, a.appID, w.code(t, a.appID, openid)))
			if second.NewUser == nil || *second.NewUser || second.User.ID != first.User.ID {
				t.Errorf("second login: %+v, want user %s again", second, first.User.ID)
			}

			wantError(t, "used code", w.login(t, a.appID, code), 400, "invalid_code")

			w.fault(t, map[string]any{"endpoint": a.endpoint, "errcode": a.systemError})
			wantError(t, "system error", w.login(t, a.appID, w.code(t, a.appID, "")), 503, "upstream_unavailable")

			before := w.calls(t, a.endpoint)
			w.fault(t, map[string]any{"endpoint": a.endpoint, "delay_ms": 3000})
			wantError(t, "timeout", w.login(t, a.appID, w.code(t, a.appID, "")), 503, "upstream_unavailable")
			if n := w.calls(t, a.endpoint) - before; n != 1 {
				t.Errorf("a timed-out login made %v calls, want exactly 1", n)
			}
		})
	}
	metrics := string(call(t, "GET", w.node.URL+"/metrics", "", nil).body)
	for _, want := range []string{
		`miniauth_platform_calls_total{appid="1110000001",endpoint="sns/jscode2session",platform="qq",result="ok"} 2`,
		`miniauth_platform_calls_total{appid="2021000099990001",endpoint="gateway.do",platform="alipay",result="timeout"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Alipay's signatures, both ways: a request signed with a key Alipay does
// not have is refused by the gateway, and an answer not signed by Alipay is
// refused by miniauth.
func TestAlipaySignatures(t *testing.T) {
	const appID, endpoint = "2021000099990001", "alipay/gateway.do"
	t.Run("request", func(t *testing.T) {
		w := startPlatformWorld(t, e2eKeys()[2]) // not the key the gateway knows
		wantError(t, "wrongly signed request", w.login(t, appID, w.code(t, appID, "")), 503, "upstream_unavailable")
		metrics := string(call(t, "GET", w.node.URL+"/metrics", "", nil).body)
		if !strings.Contains(metrics, `platform="alipay",result="isv.invalid-signature"} 1`) {
			t.Errorf("the gateway's refusal is not what was counted:\n%s", grepLines(metrics, "alipay"))
		}
	})
	t.Run("answer", func(t *testing.T) {
		w := startPlatformWorld(t, e2eKeys()[0])
		inner := []byte(`{"open_id":"victim","user_id":"2088000000000001","access_token":"x","expires_in":1}`)
		forged, _ := alipaysign.Sign(e2eKeys()[2], inner)
		body := `{"alipay_system_oauth_token_response":` + string(inner) + `,"sign":"` + forged + `"}`
		w.fault(t, map[string]any{"endpoint": endpoint, "raw_body": body})
		wantError(t, "forged answer", w.login(t, appID, w.code(t, appID, "")), 503, "upstream_unavailable")
		metrics := string(call(t, "GET", w.node.URL+"/metrics", "", nil).body)
		if !strings.Contains(metrics, `platform="alipay",result="bad_signature"} 1`) {
			t.Errorf("no bad_signature counted:\n%s", grepLines(metrics, "alipay"))
		}
		decodeLogin(t, w.login(t, appID, w.code(t, appID, ""))) // the genuine gateway is believed
	})
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Dev mode knows the six dev apps, all served by the mounted simulator; a
// login without appid is WeChat's.
func TestDevModeServesEveryPlatform(t *testing.T) {
	n := startTestNode(t)
	for _, appID := range []string{wxsim.DevAppID, wxsim.DevQQAppID, wxsim.DevDouyinAppID, wxsim.DevAlipayAppID, wxsim.DevBaiduAppKey, wxsim.DevKuaishouAppID} {
		if !strings.Contains(n.banner.String(), appID) {
			t.Errorf("the banner does not name %s:\n%s", appID, n.banner)
		}
		r := call(t, "POST", n.URL+"/_wxsim/_sim/login-code", "", map[string]string{"appid": appID})
		if r.status != 200 {
			t.Fatalf("%s: login-code %d %s", appID, r.status, r.body)
		}
		m := r.json(t)
		a := decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"appid": appID, "code": m["code"].(string)}))
		if a.User.OpenID != m["openid"] {
			t.Errorf("%s: openid %q, want %q", appID, a.User.OpenID, m["openid"])
		}
	}
	a := n.login(t, "") // names no appid
	v := call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil)
	if v.header.Get("X-Appid") != wxsim.DevAppID {
		t.Errorf("a login without appid: app %q", v.header.Get("X-Appid"))
	}
}

func alipayPublicKeyFile(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "app_public.pem")
	if err := os.WriteFile(path, alipaysign.PublicPEM(&e2eKeys()[0].PublicKey), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
