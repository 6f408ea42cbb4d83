package main

import (
	"context"
	"github.com/miniauth/miniauth/internal/testkit"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// consoleClient is a browser without JavaScript: a cookie jar that follows
// no redirects, and the CSRF token of the last page it read.
type consoleClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newConsoleClient(t *testing.T, base string) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (cc *consoleClient) do(method, path string, form url.Values) response {
	cc.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, cc.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "console-test")
	r := send(cc.t, cc.c, req)
	if m := csrfInput.FindSubmatch(r.body); m != nil {
		cc.csrf = string(m[1])
	}
	return r
}

// post sends a form with the current CSRF token.
func (cc *consoleClient) post(path string, form url.Values) response {
	cc.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", cc.csrf)
	return cc.do("POST", path, form)
}

func (cc *consoleClient) signIn(name, password string) response {
	cc.t.Helper()
	cc.do("GET", "/admin/signin", nil)
	return cc.post("/admin/signin", url.Values{"name": {name}, "password": {password}})
}

// cheapPasswords makes argon2id cheap: the tests are about the console,
// and under the race detector the default cost takes seconds per hash.
var cheapPasswords = []string{"MINIAUTH_CONSOLE_PASSWORD_MEMORY=8KiB", "MINIAUTH_CONSOLE_PASSWORD_PASSES=1"}

// startConsoleNode starts a dev node with its data in dir.
func startConsoleNode(t *testing.T, dir string, env ...string) *testNode {
	return startTestNode(t, append(append([]string{"MINIAUTH_DATA_DIR=" + dir}, cheapPasswords...), env...)...)
}

func addOperator(t *testing.T, dataDir, name, password string) {
	t.Helper()
	var out, errs testkit.LogBuffer
	env := append([]string{"MINIAUTH_DATA_DIR=" + dataDir}, cheapPasswords...)
	err := runWithInput(context.Background(), []string{"operator", "add", name}, env, strings.NewReader(password+"\n"), &out, &errs)
	if err != nil {
		t.Fatalf("operator add %s: %v (%s)", name, err, errs.String())
	}
}

func TestConsoleEndToEnd(t *testing.T) {
	dir := t.TempDir()
	n := startConsoleNode(t, dir)
	if r := call(t, "GET", n.URL+"/admin/", "", nil); r.status != 404 || r.errorCode(t) != "not_found" {
		t.Fatalf("console without operators: %d %s", r.status, r.body)
	}
	addOperator(t, dir, "root", "a long enough password")
	cc := newConsoleClient(t, n.URL)

	if r := cc.signIn("root", "not the password!"); r.status != 401 || !strings.Contains(string(r.body), "Wrong operator") {
		t.Fatalf("wrong password: %d", r.status)
	}
	r := cc.signIn("root", "a long enough password")
	if r.status != 303 || r.header.Get("Location") != "/admin/" {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	cookie := strings.Join(r.header.Values("Set-Cookie"), "\n")
	for _, want := range []string{"miniauth_console=mop_", "Path=/admin/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie lacks %q: %s", want, cookie)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("Secure cookie without an https public URL: %s", cookie)
	}

	page := cc.do("GET", "/admin/", nil)
	if page.status != 200 || !strings.Contains(string(page.body), `class="chart"`) {
		t.Fatalf("dashboard: %d", page.status)
	}
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"} {
		if page.header.Get(h) != want {
			t.Errorf("%s: %q", h, page.header.Get(h))
		}
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}

	// A user logs in; the console finds them by openid.
	user := n.login(t, "console-openid-1")
	if r := cc.do("GET", "/admin/users?q=console-openid-1", nil); !strings.Contains(string(r.body), user.User.ID) {
		t.Fatalf("search by openid does not show the user: %s", r.body)
	}
	userPage := "/admin/users/" + user.User.ID
	if r := cc.do("GET", userPage, nil); r.status != 200 || !strings.Contains(string(r.body), "console-openid-1") {
		t.Fatalf("user page: %d", r.status)
	}

	// A POST without the token, or with another session's, is refused.
	if r := cc.do("POST", userPage+"/disable", url.Values{}); r.status != 403 || r.errorCode(t) != "forbidden" {
		t.Fatalf("POST without CSRF: %d %s", r.status, r.body)
	}
	if r := cc.do("POST", userPage+"/disable", url.Values{"csrf": {"x" + cc.csrf}}); r.status != 403 {
		t.Fatalf("POST with a wrong CSRF token: %d", r.status)
	}

	// Revoking the session ends the token at once.
	sessions := call(t, "GET", n.URL+"/api/v1/auth/verify", user.AccessToken, nil)
	if sessions.status != 200 {
		t.Fatalf("verify before revoke: %d", sessions.status)
	}
	sid := regexp.MustCompile(`data-session="([0-9a-f]{32})"`).FindStringSubmatch(string(cc.do("GET", userPage, nil).body))
	if sid == nil {
		t.Fatal("no session on the user page")
	}
	if r := cc.post(userPage+"/sessions/"+sid[1]+"/revoke", nil); r.status != 303 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	eventually(t, time.Second, "revoked token refused", func() bool {
		return call(t, "GET", n.URL+"/api/v1/auth/verify", user.AccessToken, nil).status == 401
	})

	// Disabling refuses the next login.
	if r := cc.post(userPage+"/disable", nil); r.status != 303 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	code := mintCode(t, n.URL+"/_wxsim", "console-openid-1")
	if r := call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code}); r.status != 403 || r.errorCode(t) != "user_blocked" {
		t.Fatalf("login of a disabled user: %d %s", r.status, r.body)
	}
	if r := cc.post(userPage+"/enable", nil); r.status != 303 {
		t.Fatalf("enable: %d", r.status)
	}

	audit := string(cc.do("GET", "/admin/audit", nil).body)
	for _, action := range []string{"operator_add", "sign_in_failed", "sign_in", "revoke_session", "disable_user", "enable_user"} {
		if !strings.Contains(audit, `data-action="`+action+`"`) {
			t.Errorf("audit log lacks %s", action)
		}
	}
	if !strings.Contains(audit, "console-test") || !strings.Contains(audit, "127.0.0.1") {
		t.Error("audit log lacks where the actions came from")
	}
	if r := cc.post("/admin/signout", nil); r.status != 303 {
		t.Fatalf("sign out: %d", r.status)
	}
	if r := cc.do("GET", "/admin/", nil); r.status != 303 {
		t.Fatalf("dashboard after sign-out: %d", r.status)
	}
}

// Five failures lock the operator, even against the right password, and a
// new password unlocks it.
func TestConsoleLockout(t *testing.T) {
	dir := t.TempDir()
	n := startConsoleNode(t, dir, "MINIAUTH_CONSOLE_MAX_FAILURES=3")
	addOperator(t, dir, "ops", "the right password")
	cc := newConsoleClient(t, n.URL)
	for i := range 3 {
		if r := cc.signIn("ops", "a wrong password"); r.status != 401 && !(i == 2 && r.status == 429) {
			t.Fatalf("failure %d: %d", i+1, r.status)
		}
	}
	r := cc.signIn("ops", "the right password")
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("locked operator with the right password: %d (Retry-After %q)", r.status, r.header.Get("Retry-After"))
	}
	var out, errs testkit.LogBuffer
	err := runWithInput(context.Background(), []string{"operator", "passwd", "ops"}, append([]string{"MINIAUTH_DATA_DIR=" + dir}, cheapPasswords...),
		strings.NewReader("a new right password\n"), &out, &errs)
	if err != nil {
		t.Fatal(err)
	}
	if r := cc.signIn("ops", "a new right password"); r.status != 303 {
		t.Fatalf("after passwd: %d", r.status)
	}
}

func TestConsoleSecureCookieBehindHTTPS(t *testing.T) {
	dir := t.TempDir()
	n := startConsoleNode(t, dir, "MINIAUTH_HTTP_PUBLIC_URL=https://auth.example.com")
	addOperator(t, dir, "root", "a long enough password")
	r := newConsoleClient(t, n.URL).do("GET", "/admin/signin", nil)
	if c := r.header.Get("Set-Cookie"); !strings.Contains(c, "; Secure") {
		t.Fatalf("cookie without Secure behind https: %s", c)
	}
}

func TestOperatorCommand(t *testing.T) {
	dir := t.TempDir()
	env := append([]string{"MINIAUTH_DATA_DIR=" + dir}, cheapPasswords...)
	runOp := func(stdin string, args ...string) (string, error) {
		var out, errs testkit.LogBuffer
		err := runWithInput(context.Background(), append([]string{"operator"}, args...), env, strings.NewReader(stdin), &out, &errs)
		return out.String(), err
	}
	if _, err := runOp("eleven char\n", "add", "alice"); err == nil || !strings.Contains(err.Error(), "at least 12") {
		t.Fatalf("11 characters: %v", err)
	}
	if _, err := runOp("twelve chars\n", "add", "alice"); err != nil {
		t.Fatalf("12 characters: %v", err)
	}
	if _, err := runOp("twelve chars\n", "add", "alice"); err == nil {
		t.Fatal("a name added twice")
	}
	if _, err := runOp("twelve chars\n", "add", "no spaces"); err == nil {
		t.Fatal("a name with a space")
	}
	if out, err := runOp("", "list"); err != nil || !strings.Contains(out, "alice") {
		t.Fatalf("list: %q, %v", out, err)
	}
	if _, err := runOp("", "remove", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := runOp("", "remove", "alice"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("removing twice: %v", err)
	}
	if _, err := runOp("", "frobnicate", "x"); err == nil {
		t.Fatal("unknown verb accepted")
	}
}
