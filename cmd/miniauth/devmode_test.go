package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth/wxsim"
)

func TestDevModeLoginFlow(t *testing.T) {
	// A short reuse leeway, to see both sides of it.
	n := startTestNode(t, "MINIAUTH_TOKENS_REFRESH_REUSE_LEEWAY=1s")
	if !strings.Contains(n.banner.String(), "dev mode") || !strings.Contains(n.banner.String(), wxsim.DevAppID) {
		t.Errorf("banner must say dev mode and the dev AppID:\n%s", n.banner)
	}

	a := n.login(t, "")
	if a.TokenType != "Bearer" || a.ExpiresIn != 7200 || a.NewUser == nil || !*a.NewUser {
		t.Errorf("login answer: %+v", a)
	}
	if a.User.ID == "" || a.User.OpenID == "" || a.User.Phone != "" {
		t.Errorf("user: %+v", a.User)
	}
	if _, err := time.Parse(time.RFC3339, a.User.CreatedAt); err != nil {
		t.Errorf("created_at %q is not RFC 3339", a.User.CreatedAt)
	}
	if a.AccessToken == a.RefreshToken || strings.Contains(a.AccessToken, a.User.OpenID) {
		t.Error("tokens must be distinct and not derived from the openid")
	}

	me := call(t, "GET", n.URL+"/api/v1/me", a.AccessToken, nil)
	if me.status != 200 || me.json(t)["id"] != a.User.ID || me.json(t)["openid"] != a.User.OpenID {
		t.Errorf("me: %d %s", me.status, me.body)
	}

	v := call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil)
	if v.status != 200 {
		t.Fatalf("verify: %d %s", v.status, v.body)
	}
	if v.header.Get("X-User-Id") != a.User.ID || v.header.Get("X-Openid") != a.User.OpenID || v.header.Get("X-Appid") != wxsim.DevAppID {
		t.Errorf("verify headers: %v", v.header)
	}
	body := v.json(t)
	if body["user_id"] != a.User.ID || body["openid"] != a.User.OpenID || body["appid"] != wxsim.DevAppID {
		t.Errorf("verify body: %s", v.body)
	}
	if exp, err := time.Parse(time.RFC3339, body["expires_at"].(string)); err != nil || time.Until(exp) < 7100*time.Second {
		t.Errorf("expires_at %v (%v)", body["expires_at"], err)
	}

	// Refresh rotates; the old refresh token, past the reuse leeway, then
	// revokes the session.
	refreshedAt := time.Now()
	r := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken})
	b := decodeLogin(t, r)
	if b.NewUser != nil {
		t.Error("refresh answers as login without new_user")
	}
	if b.RefreshToken == a.RefreshToken || b.User.ID != a.User.ID {
		t.Errorf("refresh: %+v", b)
	}
	if got := call(t, "GET", n.URL+"/api/v1/auth/verify", b.AccessToken, nil); got.status != 200 {
		t.Errorf("new access token: %d", got.status)
	}
	raced := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken})
	if raced.status != 401 || raced.errorCode(t) != "unauthorized" {
		t.Errorf("refresh token reused within the leeway: %d %s", raced.status, raced.body)
	}
	if got := call(t, "GET", n.URL+"/api/v1/auth/verify", b.AccessToken, nil); got.status != 200 {
		t.Errorf("a reuse within the leeway ended the session: %d", got.status)
	}
	time.Sleep(time.Until(refreshedAt.Add(1100 * time.Millisecond)))
	reuse := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken})
	if reuse.status != 401 || reuse.errorCode(t) != "unauthorized" {
		t.Errorf("reused refresh token: %d %s", reuse.status, reuse.body)
	}
	if got := call(t, "GET", n.URL+"/api/v1/auth/verify", b.AccessToken, nil); got.status != 401 {
		t.Errorf("after reuse the session must be revoked: %d", got.status)
	}
	if got := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": b.RefreshToken}); got.status != 401 {
		t.Errorf("the newest refresh token must die with the session: %d", got.status)
	}

	// Logout.
	c := n.login(t, a.User.OpenID)
	if c.NewUser == nil || *c.NewUser || c.User.ID != a.User.ID {
		t.Errorf("second login of the same openid: %+v", c)
	}
	if got := call(t, "POST", n.URL+"/api/v1/auth/logout", c.AccessToken, nil); got.status != 204 || len(got.body) != 0 {
		t.Errorf("logout: %d %s", got.status, got.body)
	}
	for _, path := range []string{"/api/v1/auth/verify", "/api/v1/me"} {
		if got := call(t, "GET", n.URL+path, c.AccessToken, nil); got.status != 401 || got.errorCode(t) != "unauthorized" {
			t.Errorf("%s after logout: %d", path, got.status)
		}
	}
	if got := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": c.RefreshToken}); got.status != 401 {
		t.Errorf("refresh after logout: %d", got.status)
	}
}

func TestCodeIsSingleUse(t *testing.T) {
	n := startTestNode(t)
	code := mintCode(t, n.URL+"/_wxsim", "")
	decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code}))
	again := call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code})
	if again.status != 400 || again.errorCode(t) != "invalid_code" {
		t.Errorf("reused code: %d %s", again.status, again.body)
	}
}

func TestWeChatErrorsMapToContractCodes(t *testing.T) {
	n := startTestNode(t)
	tests := []struct {
		fault      map[string]any
		wantStatus int
		wantCode   string
	}{
		{map[string]any{"errcode": 40029}, 400, "invalid_code"},
		{map[string]any{"errcode": 40163}, 400, "invalid_code"},
		{map[string]any{"errcode": 40226}, 403, "user_blocked"},
		{map[string]any{"errcode": 45011}, 429, "rate_limited"},
		{map[string]any{"errcode": -1}, 503, "upstream_unavailable"},
		{map[string]any{"http_status": 502}, 503, "upstream_unavailable"},
		{map[string]any{"raw_body": "<html>not json</html>"}, 503, "upstream_unavailable"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.fault), func(t *testing.T) {
			tt.fault["endpoint"] = "sns/jscode2session"
			tt.fault["count"] = 1
			if r := call(t, "POST", n.URL+"/_wxsim/_sim/faults", "", tt.fault); r.status >= 300 {
				t.Fatalf("fault: %d %s", r.status, r.body)
			}
			code := mintCode(t, n.URL+"/_wxsim", "")
			r := call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code})
			if r.status != tt.wantStatus || r.errorCode(t) != tt.wantCode {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, tt.wantStatus, tt.wantCode)
			}
		})
	}
	// The faults are used up: logins work again.
	n.login(t, "")
}

func TestUpstreamTimeout(t *testing.T) {
	n := startTestNode(t, "MINIAUTH_WECHAT_TIMEOUT=300ms")
	call(t, "POST", n.URL+"/_wxsim/_sim/faults", "", map[string]any{"endpoint": "sns/jscode2session", "delay_ms": 3000, "count": 1})
	code := mintCode(t, n.URL+"/_wxsim", "")
	start := time.Now()
	r := call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code})
	took := time.Since(start)
	if r.status != 503 || r.errorCode(t) != "upstream_unavailable" {
		t.Errorf("got %d %s", r.status, r.body)
	}
	if took < 300*time.Millisecond || took > 1500*time.Millisecond {
		t.Errorf("answered after %v; want about the 300ms timeout", took)
	}
	stats := call(t, "GET", n.URL+"/_wxsim/_sim/stats", "", nil).json(t)
	if calls := stats["calls"].(map[string]any)["sns/jscode2session"]; calls != float64(1) {
		t.Errorf("jscode2session calls = %v: a code must never be retried", calls)
	}
}

func TestConcurrentFirstLoginsMakeOneUser(t *testing.T) {
	n := startTestNode(t)
	const logins = 50
	openid := "oConcurrentFirstLogin000000001"
	codes := make([]string, logins)
	for i := range codes {
		codes[i] = mintCode(t, n.URL+"/_wxsim", openid)
	}
	var wg sync.WaitGroup
	answers := make([]loginAnswer, logins)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": codes[i]}))
		}()
	}
	wg.Wait()
	created := 0
	for _, a := range answers {
		if a.User.ID != answers[0].User.ID {
			t.Fatalf("two users for one openid: %s and %s", a.User.ID, answers[0].User.ID)
		}
		if *a.NewUser {
			created++
		}
	}
	if created != 1 {
		t.Errorf("new_user was true %d times, want 1", created)
	}
}

func TestBadInput(t *testing.T) {
	n := startTestNode(t, "MINIAUTH_HTTP_BODY_LIMIT=1KiB", "MINIAUTH_HTTP_AUTH_RATE=0")
	login := n.URL + "/api/v1/auth/login"
	// A body of exactly the limit is read; one byte more is refused.
	atLimit := `{"code":"` + strings.Repeat("x", 1024-len(`{"code":""}`)) + `"}`
	tests := []struct {
		name       string
		method     string
		url, token string
		body       any
		wantStatus int
		wantCode   string
	}{
		{"malformed JSON", "POST", login, "", `{"code":`, 400, "invalid_request"},
		{"not an object", "POST", login, "", `["code"]`, 400, "invalid_request"},
		{"wrong type", "POST", login, "", `{"code": 42}`, 400, "invalid_request"},
		{"empty body", "POST", login, "", nil, 400, "invalid_request"},
		{"trailing data", "POST", login, "", `{"code":"a"} {}`, 400, "invalid_request"},
		{"empty code", "POST", login, "", `{"code":""}`, 400, "invalid_code"},
		{"unknown appid", "POST", login, "", `{"code":"a","appid":"wxother"}`, 400, "invalid_request"},
		{"body at the limit", "POST", login, "", atLimit, 400, "invalid_code"},
		{"body over the limit", "POST", login, "", atLimit + " ", 413, "payload_too_large"},
		{"missing refresh token", "POST", n.URL + "/api/v1/auth/refresh", "", `{}`, 400, "invalid_request"},
		{"garbage refresh token", "POST", n.URL + "/api/v1/auth/refresh", "", `{"refresh_token":"x"}`, 401, "unauthorized"},
		{"no bearer", "GET", n.URL + "/api/v1/me", "", nil, 401, "unauthorized"},
		{"garbage bearer", "GET", n.URL + "/api/v1/auth/verify", "not-a-token", nil, 401, "unauthorized"},
		{"unknown route", "GET", n.URL + "/api/v1/nope", "", nil, 404, "not_found"},
		{"wrong method", "DELETE", login, "", nil, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, tt.method, tt.url, tt.token, tt.body)
			if r.status != tt.wantStatus || r.errorCode(t) != tt.wantCode {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, tt.wantStatus, tt.wantCode)
			}
		})
	}
	// Chunked bodies without Content-Length are cut at the limit too.
	req, _ := http.NewRequest("POST", login, strings.NewReader(atLimit+" "))
	req.ContentLength = -1
	if r := send(t, httpClient, req); r.status != 413 {
		t.Errorf("chunked body over the limit: %d", r.status)
	}
	// Nothing was lost: the server still logs people in.
	n.login(t, "")
}

func TestOwnRateLimitAtItsEdge(t *testing.T) {
	n := startTestNode(t, "MINIAUTH_HTTP_AUTH_RATE=0.001", "MINIAUTH_HTTP_AUTH_BURST=3")
	for i := 1; i <= 4; i++ {
		r := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", `{"refresh_token":"x"}`)
		want := 401
		if i == 4 {
			want = 429
		}
		if r.status != want {
			t.Errorf("request %d: %d %s, want %d", i, r.status, r.body, want)
		}
		if i == 4 && (r.errorCode(t) != "rate_limited" || r.header.Get("Retry-After") == "") {
			t.Errorf("rate limited answer: %s %v", r.body, r.header)
		}
	}
	// Verify, the gateways' hot path, is not limited.
	if r := call(t, "GET", n.URL+"/api/v1/auth/verify", "x", nil); r.status != 401 {
		t.Errorf("verify: %d", r.status)
	}
}

func TestHealthReadyMetricsAndRequestID(t *testing.T) {
	n := startTestNode(t)
	if r := call(t, "GET", n.URL+"/healthz", "", nil); r.status != 200 || r.header.Get("X-Request-Id") == "" {
		t.Errorf("healthz: %d %v", r.status, r.header)
	}
	if r := call(t, "GET", n.URL+"/readyz", "", nil); r.status != 200 {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	req, _ := http.NewRequest("GET", n.URL+"/healthz", nil)
	req.Header.Set("X-Request-Id", "gateway-abc.123")
	if r := send(t, httpClient, req); r.header.Get("X-Request-Id") != "gateway-abc.123" {
		t.Errorf("a sane incoming request id must be kept: %q", r.header.Get("X-Request-Id"))
	}

	a := n.login(t, "")
	call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil)
	call(t, "GET", n.URL+"/api/v1/users/"+a.User.ID, a.AccessToken, nil) // unmatched
	m := call(t, "GET", n.URL+"/metrics", "", nil)
	text := string(m.body)
	for _, want := range []string{
		`miniauth_http_requests_total{method="GET",route="/api/v1/auth/verify",status="200"} 1`,
		`miniauth_logins_total{result="ok"} 1`,
		`miniauth_wechat_calls_total{endpoint="sns/jscode2session",errcode="0"} 1`,
		`route="unmatched"`,
		"miniauth_sqlite_checkpoint_failures_total 0",
		"miniauth_sqlite_wal_pending_frames ",
		"miniauth_sqlite_commit_writes_count ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, leak := range []string{a.User.ID, a.User.OpenID, a.AccessToken} {
		if strings.Contains(text, leak) {
			t.Errorf("metrics contain an id or token: %s", leak)
		}
	}
}
