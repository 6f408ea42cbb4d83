package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth/wxsim"
)

func TestSessionsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	first := startTestNode(t, "MINIAUTH_DATA_DIR="+dir)
	a := first.login(t, "")
	first.stop(t)

	second := startTestNode(t, "MINIAUTH_DATA_DIR="+dir)
	if r := call(t, "GET", second.URL+"/api/v1/auth/verify", a.AccessToken, nil); r.status != 200 {
		t.Errorf("access token after restart: %d %s", r.status, r.body)
	}
	b := decodeLogin(t, call(t, "POST", second.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken}))
	if b.User.ID != a.User.ID {
		t.Errorf("refresh after restart: %+v", b)
	}
}

const adminToken = "admin-token-for-tests-0123456789abcdef"

func TestDisabledUser(t *testing.T) {
	n := startTestNode(t, "MINIAUTH_ADMIN_TOKEN="+adminToken)
	a := n.login(t, "")
	b := n.login(t, a.User.OpenID) // a second device
	admin := n.URL + "/admin/v1/users/" + a.User.ID

	if r := call(t, "POST", admin+"/disable", "wrong", nil); r.status != 401 {
		t.Errorf("admin API without the admin token: %d", r.status)
	}
	if r := call(t, "POST", admin+"/disable", adminToken, nil); r.status != 200 || r.json(t)["disabled"] != true {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	for _, tok := range []string{a.AccessToken, b.AccessToken} {
		if r := call(t, "GET", n.URL+"/api/v1/auth/verify", tok, nil); r.status != 401 {
			t.Errorf("a disabled user's token still verifies: %d", r.status)
		}
	}
	if r := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken}); r.status != 401 {
		t.Errorf("a disabled user's refresh token still works: %d", r.status)
	}
	code := mintCode(t, n.URL+"/_wxsim", a.User.OpenID)
	r := call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code})
	if r.status != 403 || r.errorCode(t) != "user_blocked" {
		t.Errorf("login of a disabled user: %d %s", r.status, r.body)
	}

	if r := call(t, "POST", admin+"/enable", adminToken, nil); r.status != 200 {
		t.Fatalf("enable: %d", r.status)
	}
	c := n.login(t, a.User.OpenID)
	sessions := call(t, "GET", admin+"/sessions", adminToken, nil)
	if got := len(sessions.json(t)["sessions"].([]any)); got != 1 {
		t.Errorf("sessions after re-enabling and one login: %d", got)
	}
	if r := call(t, "GET", n.URL+"/admin/v1/users/nope", adminToken, nil); r.status != 404 || r.errorCode(t) != "not_found" {
		t.Errorf("unknown user: %d %s", r.status, r.body)
	}
	if r := call(t, "DELETE", admin+"/sessions", adminToken, nil); r.status != 200 || r.json(t)["revoked"] != float64(1) {
		t.Errorf("revoke all: %d %s", r.status, r.body)
	}
	if r := call(t, "GET", n.URL+"/api/v1/auth/verify", c.AccessToken, nil); r.status != 401 {
		t.Errorf("after revoking all sessions: %d", r.status)
	}
}

// recordingSimulator is the real simulator behind a recorder of every
// session_key it hands out, so that the test can look for them elsewhere.
type recordingSimulator struct {
	sim  *wxsim.Simulator
	mu   sync.Mutex
	keys []string
}

func (rs *recordingSimulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	rs.sim.ServeHTTP(rec, r)
	var answer struct {
		SessionKey string `json:"session_key"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &answer) == nil && answer.SessionKey != "" {
		rs.mu.Lock()
		rs.keys = append(rs.keys, answer.SessionKey)
		rs.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func TestSessionKeyNeverLeaves(t *testing.T) {
	const appID, secret = "wxleakcheck000001", "leak-check-secret-value"
	rs := &recordingSimulator{sim: wxsim.New(wxsim.Options{Apps: map[string]string{appID: secret}})}
	wx := httptest.NewServer(rs)
	defer wx.Close()
	n := startTestNode(t,
		"MINIAUTH_WECHAT_APPID="+appID, "MINIAUTH_WECHAT_SECRET="+secret,
		"MINIAUTH_WECHAT_BASE_URL="+wx.URL, "MINIAUTH_ADMIN_TOKEN="+adminToken)
	if strings.Contains(n.banner.String(), "dev mode") {
		t.Fatal("an app is configured: not dev mode")
	}
	if r := call(t, "GET", n.URL+"/_wxsim/_sim/stats", "", nil); r.status != 404 {
		t.Errorf("production must not mount the simulator: %d", r.status)
	}

	var bodies []string
	record := func(r response) response {
		raw, _ := json.Marshal(r.header)
		bodies = append(bodies, string(r.body), string(raw))
		return r
	}
	var codes []string
	mint := func() string {
		code, _, err := rs.sim.LoginCode(appID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, code)
		return code
	}
	a := decodeLogin(t, record(call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": mint()})))
	record(call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": mint()}))
	record(call(t, "GET", n.URL+"/api/v1/me", a.AccessToken, nil))
	record(call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil))
	b := decodeLogin(t, record(call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken})))
	record(call(t, "GET", n.URL+"/admin/v1/users/"+a.User.ID, adminToken, nil))
	record(call(t, "GET", n.URL+"/admin/v1/users/"+a.User.ID+"/sessions", adminToken, nil))
	record(call(t, "GET", n.URL+"/admin/v1/users", adminToken, nil))
	record(call(t, "GET", n.URL+"/metrics", "", nil))
	record(call(t, "POST", n.URL+"/api/v1/auth/logout", b.AccessToken, nil))

	if len(rs.keys) != 2 {
		t.Fatalf("recorded %d session keys, want 2", len(rs.keys))
	}
	logs := n.logs.String()
	if !strings.Contains(logs, `"route":"/api/v1/auth/login"`) {
		t.Fatalf("no access log captured:\n%s", logs)
	}
	secrets := append(append([]string{secret, a.AccessToken, a.RefreshToken}, rs.keys...), codes...)
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("a secret, token, code or session_key is in the logs: %q", s)
		}
	}
	for _, key := range rs.keys {
		for _, body := range bodies {
			if strings.Contains(body, key) {
				t.Errorf("session_key in a response: %s", body)
			}
		}
	}
}

func TestGracefulShutdownFinishesRequestsInFlight(t *testing.T) {
	n := startTestNode(t)
	call(t, "POST", n.URL+"/_wxsim/_sim/faults", "", map[string]any{"endpoint": "sns/jscode2session", "delay_ms": 700, "count": 1})
	code := mintCode(t, n.URL+"/_wxsim", "")
	done := make(chan response, 1)
	go func() {
		req, _ := http.NewRequest("POST", n.URL+"/api/v1/auth/login", strings.NewReader(`{"code":"`+code+`"}`))
		resp, err := httpClient.Do(req)
		if err != nil {
			done <- response{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		done <- response{status: resp.StatusCode, body: body}
	}()
	time.Sleep(200 * time.Millisecond) // the login is now waiting on WeChat
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.status != 200 {
		t.Errorf("the login in flight during shutdown: %d %s", r.status, r.body)
	}
	if _, err := http.Get(n.URL + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}
