package main

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/miniauth/miniauth/internal/testserver"
)

// Text that is not valid UTF-8 (or that a byte cut made invalid) never
// answers 500 on any backend: stored text is repaired, ids that cannot be
// ours answer 404 before any store call, bad query values answer 400.
func TestInvalidUTF8OnEveryBackend(t *testing.T) {
	backends := []struct {
		name  string
		dbURL func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return testserver.Postgres(t) }},
		{"mysql", func(t *testing.T) string { return testserver.MySQL(t) }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := []string{"MINIAUTH_ADMIN_TOKEN=" + adminToken}
			if url := b.dbURL(t); url != "" {
				env = append(env, "MINIAUTH_DB_URL="+url)
			}
			n := startTestNode(t, env...)
			testUserAgentsAreStoredRepaired(t, n)
			testBadIDsAndQueries(t, n)
			if logs := n.logs.String(); strings.Contains(logs, `"status":500`) {
				t.Errorf("a 500 in the logs:\n%s", logs)
			}
		})
	}
}

func testUserAgentsAreStoredRepaired(t *testing.T, n *testNode) {
	long := strings.Repeat("a", 511) + "é" // 513 bytes: a byte cut at 512 splits the é
	tests := []struct{ sent, stored string }{
		{"Mozilla/5.0 \xff", "Mozilla/5.0 \uFFFD"},
		{"WeChat caf\xe9 na\xefve", "WeChat caf\uFFFD na\uFFFDve"}, // Latin-1
		{long, strings.Repeat("a", 511)},
		{"Mozilla/5.0 微信 ✓", "Mozilla/5.0 微信 ✓"},
	}
	for _, tt := range tests {
		code := mintCode(t, n.URL+"/_wxsim", "")
		r := callWithHeader(t, "POST", n.URL+"/api/v1/auth/login", `{"code":"`+code+`"}`,
			http.Header{"User-Agent": {tt.sent}})
		a := decodeLogin(t, r)
		sessions := call(t, "GET", n.URL+"/admin/v1/users/"+a.User.ID+"/sessions", adminToken, nil)
		if sessions.status != 200 {
			t.Fatalf("sessions: %d %s", sessions.status, sessions.body)
		}
		got := sessions.json(t)["sessions"].([]any)[0].(map[string]any)["user_agent"].(string)
		if got != tt.stored || !utf8.ValidString(got) {
			t.Errorf("User-Agent %q stored as %q, want %q", tt.sent, got, tt.stored)
		}
	}
}

func testBadIDsAndQueries(t *testing.T, n *testNode) {
	admin := n.URL + "/admin/v1"
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/users/%00", 404, "not_found"},
		{"GET", "/users/%FF", 404, "not_found"},
		{"GET", "/users/%C3", 404, "not_found"},
		{"GET", "/users/%FF/sessions", 404, "not_found"},
		{"DELETE", "/users/%00/sessions", 404, "not_found"},
		{"POST", "/users/%00/disable", 404, "not_found"},
		{"POST", "/users/%FF/enable", 404, "not_found"},
		{"DELETE", "/sessions/%C3", 404, "not_found"},
		{"DELETE", "/sessions/%00", 404, "not_found"},
		{"DELETE", "/sessions/" + strings.Repeat("A", 32), 404, "not_found"},
		{"GET", "/users?appid=%FF", 400, "invalid_request"},
		{"GET", "/users?appid=%00", 400, "invalid_request"},
		{"GET", "/users?%FF=1", 400, "invalid_request"},
	}
	for _, tt := range tests {
		r := call(t, tt.method, admin+tt.path, adminToken, nil)
		if r.status != tt.status || r.errorCode(t) != tt.code {
			t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, r.status, r.body, tt.status, tt.code)
		}
	}
}

// callWithHeader is call with extra request headers and a raw body.
func callWithHeader(t *testing.T, method, url, body string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return send(t, httpClient, req)
}
