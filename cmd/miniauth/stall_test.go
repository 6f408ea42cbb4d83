package main

import (
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testserver"
)

// stallTimeout is the store deadline of the stall tests, and stallBound how
// long a request may take to answer while a store is stalled: the deadline
// plus room for a loaded machine. Without a deadline a request waits as
// long as the stall lasts, here until Resume, after every check.
const (
	stallTimeout = time.Second
	stallBound   = 5 * stallTimeout
)

// A store that stops answering (SIGSTOP: its port and connections stay, and
// nothing answers) makes login, /me, refresh and verify answer 503
// upstream_unavailable within about the store deadline, never hang; when it
// runs again the node works again by itself.
func TestStalledStore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(testing.TB) *testserver.Server
		env   func(*testserver.Server) []string
	}{
		{"postgres", testserver.NewPostgres, func(s *testserver.Server) []string {
			return []string{"MINIAUTH_DB_URL=" + s.URL, "MINIAUTH_DB_TIMEOUT=" + stallTimeout.String()}
		}},
		{"mysql", testserver.NewMySQL, func(s *testserver.Server) []string {
			return []string{"MINIAUTH_DB_URL=" + s.URL, "MINIAUTH_DB_TIMEOUT=" + stallTimeout.String()}
		}},
		{"redis", testserver.NewRedis, func(s *testserver.Server) []string {
			return []string{"MINIAUTH_REDIS_URL=" + s.URL, "MINIAUTH_REDIS_TIMEOUT=" + stallTimeout.String()}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := tc.start(t)
			// No verify cache, and opaque tokens alone: every verify asks
			// the store. (A sealed token needs only the database: with
			// Redis stalled, verify goes on answering; see outage_test.go.)
			n := startTestNode(t, append(tc.env(srv), "MINIAUTH_TOKENS_CACHE_TTL=0s", "MINIAUTH_TOKENS_SEAL=false")...)
			a := n.login(t, "")
			code := mintCode(t, n.URL+"/_wxsim", "")

			if err := srv.Pause(); err != nil {
				t.Fatal(err)
			}
			resumed := false
			defer func() {
				if !resumed {
					srv.Resume()
				}
			}()
			var slowest time.Duration
			for _, req := range []struct{ name, method, path, token string }{
				{"login", "POST", "/api/v1/auth/login", ""},
				{"me", "GET", "/api/v1/me", a.AccessToken},
				{"refresh", "POST", "/api/v1/auth/refresh", ""},
				{"verify", "GET", "/api/v1/auth/verify", a.AccessToken},
			} {
				var body any
				switch req.name {
				case "login":
					body = map[string]string{"code": code}
				case "refresh":
					body = map[string]string{"refresh_token": a.RefreshToken}
				}
				start := time.Now()
				r := call(t, req.method, n.URL+req.path, req.token, body)
				took := time.Since(start)
				slowest = max(slowest, took)
				if r.status != 503 || r.errorCode(t) != "upstream_unavailable" {
					t.Errorf("%s while %s is stalled: %d %s", req.name, tc.name, r.status, r.body)
				}
				if took > stallBound {
					t.Errorf("%s while %s is stalled answered after %v; the deadline is %v", req.name, tc.name, took, stallTimeout)
				}
				t.Logf("%s while %s is stalled: %d after %v", req.name, tc.name, r.status, took.Round(time.Millisecond))
			}
			t.Logf("%s stalled, deadline %v: the slowest answer took %v", tc.name, stallTimeout, slowest.Round(time.Millisecond))

			if err := srv.Resume(); err != nil {
				t.Fatal(err)
			}
			resumed = true
			eventually(t, 10*time.Second, "verify after "+tc.name+" resumed", func() bool {
				return call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil).status == 200
			})
			if r := call(t, "GET", n.URL+"/api/v1/me", a.AccessToken, nil); r.status != 200 {
				t.Errorf("me after %s resumed: %d %s", tc.name, r.status, r.body)
			}
			// The refresh tried during the stall did not consume the token.
			b := decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken}))
			if b.User.ID != a.User.ID {
				t.Errorf("refresh after %s resumed: %+v", tc.name, b)
			}
			n.login(t, a.User.OpenID)
			if strings.Contains(n.logs.String(), `"status":500`) {
				t.Errorf("a request answered 500 while %s was stalled", tc.name)
			}
		})
	}
}
