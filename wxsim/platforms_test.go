package wxsim_test

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/alipaysign"
	"github.com/miniauth/miniauth/wxsim"
)

var (
	alipayAppKey = sync.OnceValue(func() *rsa.PrivateKey { return mustKey() })
	otherKey     = sync.OnceValue(func() *rsa.PrivateKey { return mustKey() })
)

func mustKey() *rsa.PrivateKey {
	k, err := alipaysign.NewKey()
	if err != nil {
		panic(err)
	}
	return k
}

// platformEnv is a simulator that knows every platform's dev app, served at
// the root as `miniauth wxsim` serves it.
type platformEnv struct {
	t   *testing.T
	sim *wxsim.Simulator
	srv *httptest.Server
}

func newPlatformEnv(t *testing.T) *platformEnv {
	t.Helper()
	sim := wxsim.New(wxsim.Options{PlatformApps: wxsim.DevApps(alipaysign.PublicPEM(&alipayAppKey().PublicKey))})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &platformEnv{t: t, sim: sim, srv: srv}
}

// exchange is one login exchange in a platform's own shape: the openid on
// success, else the platform's error code as text.
type exchange func(e *platformEnv, code string, goodCredentials bool) (openid, errCode string)

func (e *platformEnv) post(path, contentType, body string) map[string]any {
	e.t.Helper()
	resp, err := http.Post(e.srv.URL+"/"+path, contentType, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
		e.t.Fatalf("%s: %d, %v", path, resp.StatusCode, err)
	}
	return m
}

func secretFor(good bool) string {
	if good {
		return wxsim.DevSecret
	}
	return "wrong"
}

func text(v any) string {
	if v == nil {
		return ""
	}
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprint(v), ".0"), "e+00")
}

func qqExchange(e *platformEnv, code string, good bool) (string, string) {
	q := url.Values{"appid": {wxsim.DevQQAppID}, "secret": {secretFor(good)}, "js_code": {code}, "grant_type": {"authorization_code"}}
	resp, err := http.Get(e.srv.URL + "/qq/sns/jscode2session?" + q.Encode())
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return text(m["openid"]), fmt.Sprint(int(numberOr(m["errcode"])))
}

func numberOr(v any) float64 {
	f, _ := v.(float64)
	return f
}

func douyinExchange(e *platformEnv, code string, good bool) (string, string) {
	body, _ := json.Marshal(map[string]string{"appid": wxsim.DevDouyinAppID, "secret": secretFor(good), "code": code})
	m := e.post("douyin/api/apps/v2/jscode2session", "application/json", string(body))
	data, _ := m["data"].(map[string]any)
	return text(data["openid"]), fmt.Sprint(int(numberOr(m["err_no"])))
}

func baiduExchange(e *platformEnv, code string, good bool) (string, string) {
	form := url.Values{"code": {code}, "client_id": {wxsim.DevBaiduAppKey}, "sk": {secretFor(good)}}
	m := e.post("baidu/oauth/jscode2sessionkey", "application/x-www-form-urlencoded", form.Encode())
	return text(m["openid"]), text(m["error"])
}

func kuaishouExchange(e *platformEnv, code string, good bool) (string, string) {
	form := url.Values{"app_id": {wxsim.DevKuaishouAppID}, "app_secret": {secretFor(good)}, "js_code": {code}}
	m := e.post("kuaishou/oauth2/mp/code2session", "application/x-www-form-urlencoded", form.Encode())
	return text(m["open_id"]), fmt.Sprint(int(numberOr(m["result"])))
}

// alipayExchange signs with the app's key, or another key for bad
// credentials, and checks the gateway's signature on every answer.
func alipayExchange(e *platformEnv, code string, good bool) (string, string) {
	form := url.Values{"app_id": {wxsim.DevAlipayAppID}, "method": {"alipay.system.oauth.token"}, "format": {"JSON"},
		"charset": {"utf-8"}, "sign_type": {"RSA2"}, "timestamp": {time.Now().Format("2006-01-02 15:04:05")},
		"version": {"1.0"}, "grant_type": {"authorization_code"}, "code": {code}}
	key := alipayAppKey()
	if !good {
		key = otherKey()
	}
	sign, err := alipaysign.Sign(key, []byte(alipaysign.Content(form)))
	if err != nil {
		e.t.Fatal(err)
	}
	form.Set("sign", sign)
	resp, err := http.PostForm(e.srv.URL+"/alipay/gateway.do", form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var envelope map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&envelope); err != nil {
		e.t.Fatal(err)
	}
	gateway, err := alipaysign.ParsePublicKey(e.sim.AlipayGatewayPublicKey())
	if err != nil {
		e.t.Fatal(err)
	}
	var signature string
	json.Unmarshal(envelope["sign"], &signature)
	var body struct{ OpenID, SubCode string }
	for _, k := range []string{"alipay_system_oauth_token_response", "error_response"} {
		if raw, ok := envelope[k]; ok {
			if alipaysign.Verify(gateway, raw, signature) != nil {
				e.t.Errorf("the gateway's answer %s does not verify", k)
			}
			var fields map[string]string
			json.Unmarshal(raw, &fields)
			body.OpenID, body.SubCode = fields["open_id"], fields["sub_code"]
			if body.OpenID == "" {
				body.OpenID = fields["user_id"] // as miniauth reads it
			}
			if k == "alipay_system_oauth_token_response" && !strings.HasPrefix(fields["user_id"], "2088") {
				e.t.Errorf("user_id %q", fields["user_id"])
			}
		}
	}
	return body.OpenID, body.SubCode
}

// Every platform's endpoint, one row each: a fresh code gives the openid it
// was minted for, once; a replay, wrong credentials and a fault answer the
// platform's own errors in its own shape.
func TestEveryPlatformExchangesItsCodes(t *testing.T) {
	rows := []struct {
		platform, appID, endpoint string
		exchange                  exchange
		used, badCredentials      string
		faultCode                 int
		faultAnswer               string
	}{
		{"qq", wxsim.DevQQAppID, "qq/sns/jscode2session", qqExchange, "40163", "40125", -1, "-1"},
		{"douyin", wxsim.DevDouyinAppID, "douyin/api/apps/v2/jscode2session", douyinExchange, "40018", "40017", -1, "-1"},
		{"alipay", wxsim.DevAlipayAppID, "alipay/gateway.do", alipayExchange, "isv.code-invalid", "isv.invalid-signature", 20000, "isp.unknow-error"},
		{"baidu", wxsim.DevBaiduAppKey, "baidu/oauth/jscode2sessionkey", baiduExchange, "invalid_grant", "invalid_client", 500, "server_error"},
		{"kuaishou", wxsim.DevKuaishouAppID, "kuaishou/oauth2/mp/code2session", kuaishouExchange, "240001", "240002", 2, "2"},
	}
	for _, row := range rows {
		t.Run(row.platform, func(t *testing.T) {
			e := newPlatformEnv(t)
			code, openid, err := e.sim.LoginCode(row.appID, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, got := row.exchange(e, code, false); got != row.badCredentials {
				t.Errorf("wrong credentials: %q, want %q", got, row.badCredentials)
			}
			if got, errCode := row.exchange(e, code, true); got != openid {
				t.Errorf("fresh code: openid %q (error %q), want %q: wrong credentials must leave the code usable", got, errCode, openid)
			}
			if _, got := row.exchange(e, code, true); got != row.used {
				t.Errorf("used code: %q, want %q", got, row.used)
			}
			if err := e.sim.AddFault(wxsim.Fault{Endpoint: row.endpoint, ErrCode: row.faultCode}); err != nil {
				t.Fatal(err)
			}
			code, _, _ = e.sim.LoginCode(row.appID, "", "")
			if _, got := row.exchange(e, code, true); got != row.faultAnswer {
				t.Errorf("fault: %q, want %q", got, row.faultAnswer)
			}
			if n := e.sim.Stats().Calls[row.endpoint]; n != 4 {
				t.Errorf("calls of %s: %d, want 4", row.endpoint, n)
			}
		})
	}
}

// A code is its platform's: QQ's dev app is unknown to WeChat's endpoint,
// and WeChat's to QQ's.
func TestPlatformsKeepTheirApps(t *testing.T) {
	e := newPlatformEnv(t)
	code, _, _ := e.sim.LoginCode(wxsim.DevQQAppID, "", "")
	q := url.Values{"appid": {wxsim.DevQQAppID}, "secret": {wxsim.DevSecret}, "js_code": {code}, "grant_type": {"authorization_code"}}
	resp, err := http.Get(e.srv.URL + "/sns/jscode2session?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["errcode"] != 40013.0 {
		t.Errorf("a QQ app at WeChat's endpoint: %v", m)
	}
	code, _, _ = e.sim.LoginCode(wxsim.DevAppID, "", "")
	if got, errCode := qqExchange(e, code, true); got != "" || errCode != "40029" {
		t.Errorf("QQ's endpoint with WeChat's code: openid %q, errcode %s", got, errCode)
	}
}

// Alipay apps not yet moved to open_id get user_id alone; the gateway's key
// is served for tools.
func TestAlipayUserIDAndGatewayKey(t *testing.T) {
	e := newPlatformEnv(t)
	code, _, _ := e.sim.LoginCode(wxsim.DevAlipayAppID, "2088000011112222", "")
	if id, sub := alipayExchange(e, code, true); id != "2088000011112222" || sub != "" {
		t.Errorf("a user_id user: id %q, sub_code %q", id, sub)
	}
	resp, err := http.Get(e.srv.URL + "/_sim/alipay-gateway-key")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "pem") {
		t.Errorf("gateway key: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestParsePlatformApp(t *testing.T) {
	for in, want := range map[string]string{
		"wxabc:sec":            "weixin wxabc sec",
		"wxabc:sec:with:colon": "weixin wxabc sec:with:colon",
		"qq:qqabc:sec":         "qq qqabc sec",
		"alipay:2021:key.pem":  "alipay 2021 key.pem",
	} {
		p, id, secret, err := wxsim.ParsePlatformApp(in)
		if got := p + " " + id + " " + secret; err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"qq:nosecret", "douyin::x", "justid"} {
		if _, _, _, err := wxsim.ParsePlatformApp(bad); err == nil {
			t.Errorf("%q must be refused", bad)
		}
	}
}
