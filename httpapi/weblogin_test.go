package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/httpapi"
	"github.com/miniauth/miniauth/internal/testkit"
	"github.com/miniauth/miniauth/sqlite"
	"github.com/miniauth/miniauth/wechat"
	"github.com/miniauth/miniauth/wxsim"
)

// newWebLoginAPI is newTestAPI with scan to log in over SQLite, the
// simulator drawing the codes; mod changes the options first.
func newWebLoginAPI(t *testing.T, mod func(*miniauth.WebLoginOptions, *httpapi.Options)) (*testAPI, *miniauth.Service) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "api.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sim := wxsim.New(wxsim.Options{})
	simServer := httptest.NewServer(sim)
	t.Cleanup(simServer.Close)
	wx, err := wechat.New(wechat.Options{BaseURL: simServer.URL, Apps: map[string]string{wxsim.DevAppID: wxsim.DevSecret}})
	if err != nil {
		t.Fatal(err)
	}
	web := miniauth.WebLoginOptions{Store: db.WebLogins(), Apps: []string{wxsim.DevAppID}, Codes: wx,
		PollInterval: 20 * time.Millisecond}
	opts := httpapi.Options{Demo: true}
	if mod != nil {
		mod(&web, &opts)
	}
	svc := miniauth.NewService(db.Users(), db.Sessions(), nil, wx, miniauth.Options{
		CacheTTL: miniauth.DefaultCacheTTL, RefreshReuseLeeway: miniauth.DefaultRefreshReuseLeeway,
		Apps: []string{wxsim.DevAppID}, WebLogin: web})
	opts.Service = svc
	api, err := httpapi.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewServer(api)
	t.Cleanup(server.Close)
	return &testAPI{URL: server.URL, sim: sim, logs: &testkit.LogBuffer{}}, svc
}

type webLoginStart struct {
	Ticket    string `json:"ticket"`
	ExpiresIn int    `json:"expires_in"`
	QRCodeURL string `json:"qrcode_url"`
}

type webLoginPoll struct {
	Status string `json:"status"`
	tokens
}

func (a *testAPI) startWebLogin(t *testing.T) webLoginStart {
	t.Helper()
	r := a.do(t, "POST", "/api/v1/web-login", "")
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("start: %d %s (Cache-Control %q)", r.status, r.body, r.header.Get("Cache-Control"))
	}
	var s webLoginStart
	if err := json.Unmarshal(r.body, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// pollWebLogin polls; it reports failures with Errorf, not Fatalf, since
// tests call it from goroutines of their own too.
func (a *testAPI) pollWebLogin(t *testing.T, ticket, query string) webLoginPoll {
	t.Helper()
	var p webLoginPoll
	resp, err := http.Get(a.URL + "/api/v1/web-login/" + ticket + query)
	if err != nil {
		t.Errorf("poll: %v", err)
		return p
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("poll: %d (Cache-Control %q)", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Errorf("poll: %v", err)
	}
	return p
}

func (a *testAPI) stepWebLogin(t *testing.T, ticket, step, accessToken string) answer {
	t.Helper()
	return a.do(t, "POST", "/api/v1/web-login/"+ticket+"/"+step, "", "Authorization", "Bearer "+accessToken)
}

func TestWebLoginOverHTTP(t *testing.T) {
	t.Parallel()
	a, _ := newWebLoginAPI(t, nil)
	phone := a.login(t)
	s := a.startWebLogin(t)
	if len(s.Ticket) != 22 || s.ExpiresIn != 300 || s.QRCodeURL != "/api/v1/web-login/"+s.Ticket+"/qrcode.png" {
		t.Fatalf("start %+v", s)
	}
	img := a.do(t, "GET", s.QRCodeURL, "")
	if img.status != 200 || img.header.Get("Content-Type") != "image/png" || img.header.Get("Cache-Control") != "no-store" ||
		!strings.HasPrefix(string(img.body), "\x89PNG") {
		t.Fatalf("code image: %d %v", img.status, img.header)
	}
	for _, path := range []string{s.QRCodeURL, "/api/v1/web-login/" + s.Ticket} {
		if h := a.do(t, "HEAD", path, ""); h.status != 200 || len(h.body) != 0 {
			t.Errorf("HEAD %s: %d", path, h.status)
		}
	}
	if p := a.pollWebLogin(t, s.Ticket, ""); p.Status != miniauth.WebLoginPending {
		t.Fatalf("status %q", p.Status)
	}
	if r := a.stepWebLogin(t, s.Ticket, "scan", phone.AccessToken); r.status != 204 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("scan: %d %s", r.status, r.body)
	}
	// A poll that saw "scanned" waits for what comes next.
	got := make(chan webLoginPoll, 1)
	go func() { got <- a.pollWebLogin(t, s.Ticket, "?wait=10s") }()
	time.Sleep(100 * time.Millisecond)
	if r := a.stepWebLogin(t, s.Ticket, "confirm", phone.AccessToken); r.status != 204 {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	p := <-got
	if p.Status != miniauth.WebLoginConfirmed || p.AccessToken == "" || p.User.ID != phone.User.ID {
		t.Fatalf("poll after confirm: %+v", p)
	}
	me := a.do(t, "GET", "/api/v1/me", "", "Authorization", "Bearer "+p.AccessToken)
	if me.status != 200 || !strings.Contains(string(me.body), phone.User.ID) {
		t.Fatalf("the web session's /me: %d %s", me.status, me.body)
	}
	if again := a.pollWebLogin(t, s.Ticket, "?wait=1s"); again.Status != miniauth.WebLoginConfirmed || again.AccessToken != "" {
		t.Fatalf("a second poll: %+v", again)
	}
	for _, step := range []string{"scan", "confirm", "deny"} {
		if r := a.stepWebLogin(t, s.Ticket, step, phone.AccessToken); r.status != 409 || r.errorCode(t) != "conflict" {
			t.Errorf("%s after confirm: %d %s", step, r.status, r.body)
		}
	}
	if r := a.do(t, "GET", s.QRCodeURL, ""); r.status != 409 {
		t.Errorf("code image of a confirmed ticket: %d", r.status)
	}
}

func TestWebLoginErrorsOverHTTP(t *testing.T) {
	t.Parallel()
	a, _ := newWebLoginAPI(t, nil)
	phone := a.login(t)
	s := a.startWebLogin(t)
	unknown := "AAAAAAAAAAAAAAAAAAAAAA"
	for _, tt := range []struct {
		method, path, body, bearer string
		status                     int
		code                       string
	}{
		{"GET", "/api/v1/web-login/" + unknown, "", "", 404, "not_found"},
		{"GET", "/api/v1/web-login/not-a-ticket", "", "", 404, "not_found"},
		{"GET", "/api/v1/web-login/" + unknown + "/qrcode.png", "", "", 404, "not_found"},
		{"POST", "/api/v1/web-login/" + unknown + "/scan", "", phone.AccessToken, 404, "not_found"},
		{"POST", "/api/v1/web-login/" + s.Ticket + "/confirm", "", "", 401, "unauthorized"},
		{"POST", "/api/v1/web-login/" + s.Ticket + "/confirm", "", "mat_garbage", 401, "unauthorized"},
		{"GET", "/api/v1/web-login/" + s.Ticket + "?wait=soon", "", "", 400, "invalid_request"},
		{"GET", "/api/v1/web-login/" + s.Ticket + "?wait=-1s", "", "", 400, "invalid_request"},
		{"POST", "/api/v1/web-login", `{"appid":"wxunknown"}`, "", 400, "invalid_request"},
		{"POST", "/api/v1/web-login", `{"appid":`, "", 400, "invalid_request"},
		{"GET", "/api/v1/web-login/" + s.Ticket + "/", "", "", 404, "not_found"},
	} {
		var header []string
		if tt.bearer != "" {
			header = []string{"Authorization", "Bearer " + tt.bearer}
		}
		r := a.do(t, tt.method, tt.path, tt.body, header...)
		if r.status != tt.status || r.errorCode(t) != tt.code {
			t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, r.status, r.body, tt.status, tt.code)
		}
		if strings.HasPrefix(tt.path, "/api/v1/web-login") && !strings.HasSuffix(tt.path, "/") && r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: Cache-Control %q", tt.method, tt.path, r.header.Get("Cache-Control"))
		}
	}
	// Denied: the page hears it, the mini program cannot confirm any more.
	if r := a.stepWebLogin(t, s.Ticket, "deny", phone.AccessToken); r.status != 204 {
		t.Fatalf("deny: %d %s", r.status, r.body)
	}
	if p := a.pollWebLogin(t, s.Ticket, "?wait=5s"); p.Status != miniauth.WebLoginDenied || p.AccessToken != "" {
		t.Fatalf("poll after deny: %+v", p)
	}
	if r := a.stepWebLogin(t, s.Ticket, "confirm", phone.AccessToken); r.status != 409 {
		t.Fatalf("confirm after deny: %d", r.status)
	}
}

func TestWebLoginExpiry(t *testing.T) {
	t.Parallel()
	a, _ := newWebLoginAPI(t, func(w *miniauth.WebLoginOptions, _ *httpapi.Options) { w.TTL = 300 * time.Millisecond })
	phone := a.login(t)
	s := a.startWebLogin(t)
	start := time.Now()
	// The wait ends with the ticket, not with the 10 s asked for.
	if p := a.pollWebLogin(t, s.Ticket, "?wait=10s"); p.Status != miniauth.WebLoginExpired {
		t.Fatalf("status %q", p.Status)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the wait took %v past the expiry", d)
	}
	for _, step := range []string{"scan", "confirm", "deny"} {
		if r := a.stepWebLogin(t, s.Ticket, step, phone.AccessToken); r.status != 404 {
			t.Errorf("%s of an expired ticket: %d %s", step, r.status, r.body)
		}
	}
	if r := a.do(t, "GET", s.QRCodeURL, ""); r.status != 404 {
		t.Errorf("code image of an expired ticket: %d", r.status)
	}
}

func TestWebLoginLimits(t *testing.T) {
	t.Parallel()
	a, svc := newWebLoginAPI(t, func(w *miniauth.WebLoginOptions, o *httpapi.Options) {
		w.MaxWaiters = 1
		w.MaxWait = 300 * time.Millisecond
		o.WebLoginRate, o.WebLoginBurst = 0.001, 2
	})
	s := a.startWebLogin(t)
	a.startWebLogin(t)
	if r := a.do(t, "POST", "/api/v1/web-login", ""); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("third ticket of a burst of 2: %d %s", r.status, r.body)
	}
	// One waiter at most: a second waiting poll is refused, not queued.
	var wg sync.WaitGroup
	wg.Add(1)
	begun := time.Now()
	go func() {
		defer wg.Done()
		a.pollWebLogin(t, s.Ticket, "?wait=1h") // capped by MaxWait
	}()
	for svc.WebLoginWaiters() == 0 {
		time.Sleep(time.Millisecond)
	}
	if r := a.do(t, "GET", "/api/v1/web-login/"+s.Ticket+"?wait=1s", ""); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Errorf("a second waiter: %d %s", r.status, r.body)
	}
	if p := a.pollWebLogin(t, s.Ticket, ""); p.Status != miniauth.WebLoginPending {
		t.Errorf("a poll that does not wait: %+v", p)
	}
	wg.Wait()
	if d := time.Since(begun); d > 5*time.Second {
		t.Errorf("wait=1h waited %v, past max_wait", d)
	}
}

func TestWebLoginWaitsEndAtShutdown(t *testing.T) {
	t.Parallel()
	a, svc := newWebLoginAPI(t, nil)
	s := a.startWebLogin(t)
	got := make(chan webLoginPoll, 1)
	go func() { got <- a.pollWebLogin(t, s.Ticket, "?wait=20s") }()
	for svc.WebLoginWaiters() == 0 {
		time.Sleep(time.Millisecond)
	}
	svc.EndWebLoginWaits()
	select {
	case p := <-got:
		if p.Status != miniauth.WebLoginPending {
			t.Errorf("status %q", p.Status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting poll did not end with the shutdown")
	}
}

func TestWebLoginDemoPage(t *testing.T) {
	t.Parallel()
	a, _ := newWebLoginAPI(t, nil)
	page := a.do(t, "GET", "/_demo/web-login", "")
	csp := page.header.Get("Content-Security-Policy")
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("page: %d %v", page.status, page.header)
	}
	html := string(page.body)
	if !strings.Contains(html, `<script src="/_demo/web-login.js"`) || strings.Contains(html, "<script>") ||
		strings.Contains(html, "style=") || strings.Contains(html, "http") {
		t.Errorf("the page holds inline script or style, or loads from elsewhere:\n%s", html)
	}
	for path, ct := range map[string]string{"/_demo/web-login.js": "text/javascript", "/_demo/web-login.css": "text/css"} {
		if r := a.do(t, "GET", path, ""); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), ct) {
			t.Errorf("%s: %d %q", path, r.status, r.header.Get("Content-Type"))
		}
	}
	// Outside dev mode there is no demo.
	b, _ := newWebLoginAPI(t, func(_ *miniauth.WebLoginOptions, o *httpapi.Options) { o.Demo = false })
	if r := b.do(t, "GET", "/_demo/web-login", ""); r.status != 404 {
		t.Errorf("demo outside dev mode: %d", r.status)
	}
}
