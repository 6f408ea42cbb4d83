package wxsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testkit"
	"github.com/miniauth/miniauth/wxsim"
)

// Two apps, so that "a code of another app" can be tested.
const (
	appA, secretA = "wxaaaaaaaaaaaaaaa1", "secret-a"
	appB, secretB = "wxbbbbbbbbbbbbbbb2", "secret-b"
)

// env is a simulator served over real HTTP under /_wxsim, as dev mode mounts
// it, with an injected clock.
type env struct {
	t    *testing.T
	sim  *wxsim.Simulator
	clk  *testkit.Clock
	srv  *httptest.Server
	base string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clk := newClock()
	sim := wxsim.New(wxsim.Options{Apps: map[string]string{appA: secretA, appB: secretB}, Now: clk.Now})
	mux := http.NewServeMux()
	mux.Handle("/_wxsim/", http.StripPrefix("/_wxsim", sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, sim: sim, clk: clk, srv: srv, base: srv.URL + "/_wxsim/"}
}

// do sends a request and returns the status and body.
func (e *env) do(method, path string, query url.Values, body string) (int, []byte) {
	e.t.Helper()
	u := e.base + path
	if query != nil {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// wechat calls a WeChat endpoint, which must answer HTTP 200, and decodes
// the JSON answer into a map.
func (e *env) wechat(method, path string, query url.Values, body string) map[string]any {
	e.t.Helper()
	status, b := e.do(method, path, query, body)
	if status != http.StatusOK {
		e.t.Fatalf("%s %s: status %d, body %s", method, path, status, b)
	}
	return decode(e.t, b)
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, b)
	}
	return m
}

// errcode of an answer; 0 when absent.
func errcode(m map[string]any) int {
	n, _ := m["errcode"].(float64)
	return int(n)
}

// wantErr checks a WeChat business error, including the rid in errmsg.
func wantErr(t *testing.T, m map[string]any, code int) {
	t.Helper()
	if got := errcode(m); got != code {
		t.Fatalf("errcode %d, want %d (answer %v)", got, code, m)
	}
	if msg, _ := m["errmsg"].(string); !strings.Contains(msg, "rid: ") {
		t.Fatalf("errmsg %q has no rid", msg)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loginCode mints a code through the control endpoint.
func (e *env) loginCode(appID, openID, unionID string) (code, openid string) {
	e.t.Helper()
	body := mustJSON(e.t, map[string]string{"appid": appID, "openid": openID, "unionid": unionID})
	status, b := e.do(http.MethodPost, "_sim/login-code", nil, body)
	if status != http.StatusOK {
		e.t.Fatalf("login-code: %d %s", status, b)
	}
	m := decode(e.t, b)
	return m["code"].(string), m["openid"].(string)
}

func (e *env) code2Session(appID, secret, code string) map[string]any {
	e.t.Helper()
	return e.wechat(http.MethodGet, "sns/jscode2session", url.Values{
		"appid": {appID}, "secret": {secret}, "js_code": {code}, "grant_type": {"authorization_code"},
	}, "")
}

func (e *env) plainToken(appID, secret string) map[string]any {
	e.t.Helper()
	return e.wechat(http.MethodGet, "cgi-bin/token", url.Values{
		"grant_type": {"client_credential"}, "appid": {appID}, "secret": {secret},
	}, "")
}

func (e *env) stableToken(appID, secret string, force bool) map[string]any {
	e.t.Helper()
	return e.wechat(http.MethodPost, "cgi-bin/stable_token", nil, mustJSON(e.t, map[string]any{
		"grant_type": "client_credential", "appid": appID, "secret": secret, "force_refresh": force,
	}))
}

// accessToken returns a fresh cgi-bin/token token of app A.
func (e *env) accessToken() string {
	e.t.Helper()
	m := e.plainToken(appA, secretA)
	tok, ok := m["access_token"].(string)
	if !ok {
		e.t.Fatalf("no access_token: %v", m)
	}
	return tok
}

func (e *env) checkSession(token, openID, signature string) map[string]any {
	e.t.Helper()
	return e.wechat(http.MethodGet, "wxa/checksession", url.Values{
		"access_token": {token}, "openid": {openID}, "signature": {signature}, "sig_method": {"hmac_sha256"},
	}, "")
}

func (e *env) phoneCode(appID, openID, phone string) string {
	e.t.Helper()
	status, b := e.do(http.MethodPost, "_sim/phone-code", nil,
		mustJSON(e.t, map[string]string{"appid": appID, "openid": openID, "phone": phone}))
	if status != http.StatusOK {
		e.t.Fatalf("phone-code: %d %s", status, b)
	}
	return decode(e.t, b)["code"].(string)
}

func (e *env) phoneNumber(token, body string) map[string]any {
	e.t.Helper()
	q := url.Values{}
	if token != "" {
		q.Set("access_token", token)
	}
	return e.wechat(http.MethodPost, "wxa/business/getuserphonenumber", q, body)
}

// isTokenValid reports the errcode checksession gives for a token (0 when
// the token is fine; 87009 then only says the signature was wrong).
func (e *env) tokenErr(token string) int {
	e.t.Helper()
	code := errcode(e.checkSession(token, "nobody", "x"))
	if code == 87009 {
		return 0
	}
	return code
}

func readAll(resp *http.Response) ([]byte, error) { return io.ReadAll(resp.Body) }

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// newClock is a clock that tests move by hand.
func newClock() *testkit.Clock { return testkit.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)) }
