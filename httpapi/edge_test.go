package httpapi_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// A trailing slash or a doubled slash is an unknown path: 404 in the
// contract's shape, with a request id, an access log line and a metric;
// never a redirect.
func TestNothingRedirects(t *testing.T) {
	a := newTestAPI(t)
	tk := a.login(t)
	tests := []struct{ method, path string }{
		{"GET", "/api/v1/me/"},
		{"GET", "/api/v1/auth/verify/"},
		{"GET", "/healthz/"},
		{"HEAD", "/healthz/"},
		{"POST", "/api/v1/auth/login/"},
		{"POST", "/api/v1/auth/refresh/"},
		{"GET", "//healthz"},
		{"GET", "//api/v1/me"},
		{"GET", "/api/v1//me"},
		{"GET", "/api//v1/auth/verify"},
		{"GET", "/admin/v1/users/"},
		{"GET", "/API/v1/me"},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, a.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r := answer{status: resp.StatusCode, header: resp.Header}
		r.body = readAll(t, resp)
		if r.status != 404 || r.header.Get("X-Request-Id") == "" {
			t.Errorf("%s %s: %d %q (Location %q)", tt.method, tt.path, r.status, r.body, r.header.Get("Location"))
			continue
		}
		if tt.method != "HEAD" && r.errorCode(t) != "not_found" {
			t.Errorf("%s %s: %s", tt.method, tt.path, r.body)
		}
		if !strings.Contains(a.logString(), `"request_id":"`+r.header.Get("X-Request-Id")+`"`) {
			t.Errorf("%s %s: not in the access log", tt.method, tt.path)
		}
	}
	metrics := string(a.do(t, "GET", "/metrics", "").body)
	counted := regexp.MustCompile(`miniauth_http_requests_total\{method="(\w+)",route="unmatched",status="404"\} (\d+)`)
	got := map[string]string{}
	for _, m := range counted.FindAllStringSubmatch(metrics, -1) {
		got[m[1]] = m[2]
	}
	if got["GET"] != "9" || got["HEAD"] != "1" || got["POST"] != "2" {
		t.Errorf("the 404s are not all counted: %v\n%s", got, grepLines(metrics, "miniauth_http_requests_total"))
	}
}

// Every route answers HEAD where it answers GET: the same status and
// headers, no body.
func TestHeadWhereGet(t *testing.T) {
	a := newTestAPI(t)
	tk := a.login(t)
	admin := []string{"Authorization", "Bearer " + testAdminToken}
	user := []string{"Authorization", "Bearer " + tk.AccessToken}
	tests := []struct {
		path   string
		header []string
		status int
	}{
		{"/healthz", nil, 200},
		{"/readyz", nil, 200},
		{"/metrics", nil, 200},
		{"/api/v1/me", user, 200},
		{"/api/v1/me", nil, 401},
		{"/api/v1/auth/verify", user, 200},
		{"/api/v1/auth/verify", []string{"Authorization", "Bearer mat_nope"}, 401},
		{"/admin/v1/users", admin, 200},
		{"/admin/v1/users/" + tk.User.ID, admin, 200},
		{"/admin/v1/users/" + tk.User.ID + "/sessions", admin, 200},
		{"/admin/v1/users/" + strings.Repeat("0", 32), admin, 404},
		{"/admin/v1/users/%00", admin, 404},
		{"/nope", nil, 404},
	}
	// Headers that differ between any two answers.
	varying := map[string]bool{"Date": true, "X-Request-Id": true}
	for _, tt := range tests {
		get := a.do(t, "GET", tt.path, "", tt.header...)
		head := a.do(t, "HEAD", tt.path, "", tt.header...)
		if get.status != tt.status || head.status != tt.status {
			t.Errorf("%s: GET %d, HEAD %d, want %d", tt.path, get.status, head.status, tt.status)
		}
		if len(head.body) != 0 {
			t.Errorf("HEAD %s has a body: %q", tt.path, head.body)
		}
		if tt.path == "/metrics" {
			varying["Content-Length"] = true // the counters moved in between
		}
		for k := range merge(get.header, head.header) {
			if !varying[k] && get.header.Get(k) != head.header.Get(k) {
				t.Errorf("%s: header %s: GET %q, HEAD %q", tt.path, k, get.header.Get(k), head.header.Get(k))
			}
		}
	}
}

// Answers that carry tokens are never cached, errors included.
func TestTokenAnswersAreNotStored(t *testing.T) {
	a := newTestAPI(t)
	tk := a.login(t)
	tests := []struct {
		name, path, body string
		status           int
	}{
		{"login", "/api/v1/auth/login", `{"code":"` + a.code(t) + `"}`, 200},
		{"login refused", "/api/v1/auth/login", `{"code":""}`, 400},
		{"refresh", "/api/v1/auth/refresh", `{"refresh_token":"` + tk.RefreshToken + `"}`, 200},
		{"refresh refused", "/api/v1/auth/refresh", `{"refresh_token":"mrt_nope"}`, 401},
	}
	for _, tt := range tests {
		r := a.do(t, "POST", tt.path, tt.body)
		if r.status != tt.status || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d, Cache-Control %q", tt.name, r.status, r.header.Get("Cache-Control"))
		}
	}
}

// A request with two Authorization headers is refused, whichever of them
// is valid: a gateway in front may have checked the other one.
func TestSeveralAuthorizationHeaders(t *testing.T) {
	a := newTestAPI(t)
	tk := a.login(t)
	good, bad := "Bearer "+tk.AccessToken, "Bearer mat_somebody_else"
	tests := []struct {
		method, path string
		header       []string
	}{
		{"GET", "/api/v1/me", []string{"Authorization", good, "Authorization", bad}},
		{"GET", "/api/v1/me", []string{"Authorization", bad, "Authorization", good}},
		{"GET", "/api/v1/me", []string{"Authorization", good, "Authorization", good}},
		{"GET", "/api/v1/auth/verify", []string{"Authorization", good, "Authorization", good}},
		{"POST", "/api/v1/auth/logout", []string{"Authorization", good, "Authorization", bad}},
		{"GET", "/admin/v1/users", []string{"Authorization", "Bearer " + testAdminToken, "Authorization", bad}},
	}
	for _, tt := range tests {
		r := a.do(t, tt.method, tt.path, "", tt.header...)
		if r.status != 401 || r.errorCode(t) != "unauthorized" {
			t.Errorf("%s %s with %d Authorization headers: %d %s", tt.method, tt.path, len(tt.header)/2, r.status, r.body)
		}
	}
	if r := a.do(t, "GET", "/api/v1/me", "", "Authorization", good); r.status != 200 {
		t.Errorf("one Authorization header: %d %s", r.status, r.body)
	}
}

// Path ids that cannot be ours are not_found and query text that is not
// valid UTF-8 is invalid_request, before any store is asked.
func TestBadTextInPathAndQuery(t *testing.T) {
	a := newTestAPI(t)
	tk := a.login(t)
	admin := []string{"Authorization", "Bearer " + testAdminToken}
	tests := []struct {
		method, path string
		header       []string
		status       int
		code         string
	}{
		{"GET", "/admin/v1/users/%00", admin, 404, "not_found"},
		{"GET", "/admin/v1/users/%FF", admin, 404, "not_found"},
		{"GET", "/admin/v1/users/" + strings.ToUpper(tk.User.ID), admin, 404, "not_found"},
		{"GET", "/admin/v1/users/" + tk.User.ID + "%00", admin, 404, "not_found"},
		{"DELETE", "/admin/v1/sessions/%C3", admin, 404, "not_found"},
		{"GET", "/admin/v1/users/%00", nil, 401, "unauthorized"}, // the token is checked first
		{"GET", "/admin/v1/users?appid=%FF", admin, 400, "invalid_request"},
		{"GET", "/admin/v1/users?appid=%00", admin, 400, "invalid_request"},
		{"GET", "/admin/v1/users?%C3=x", admin, 400, "invalid_request"},
		{"GET", "/api/v1/auth/verify?x=%FF", []string{"Authorization", "Bearer " + tk.AccessToken}, 400, "invalid_request"},
		{"GET", "/healthz?x=%00", nil, 400, "invalid_request"},
	}
	for _, tt := range tests {
		r := a.do(t, tt.method, tt.path, "", tt.header...)
		if r.status != tt.status || r.errorCode(t) != tt.code {
			t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, r.status, r.body, tt.status, tt.code)
		}
	}
	ok := []string{
		"/admin/v1/users/" + tk.User.ID,
		"/admin/v1/users?appid=wx%E5%BE%AE%E4%BF%A1", // valid UTF-8: asked, no match
		"/admin/v1/users?limit=1&bad=%zz",            // a pair that does not parse is ignored, as before
	}
	for _, path := range ok {
		if r := a.do(t, "GET", path, "", admin...); r.status != 200 {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
}

func merge(hs ...http.Header) map[string]bool {
	keys := map[string]bool{}
	for _, h := range hs {
		for k := range h {
			keys[k] = true
		}
	}
	return keys
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return []byte(b.String())
		}
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
