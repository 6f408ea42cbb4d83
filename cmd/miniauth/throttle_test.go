package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/miniauth/miniauth/internal/testserver"
)

// callFrom is call for a client at ip, as a trusted proxy in front of the
// node says with X-Forwarded-For.
func callFrom(t *testing.T, ip, method, url string, body any) response {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	return send(t, httpClient, req)
}

// wantThrottled checks a 429 in the contract's shape with a Retry-After of
// at most window seconds.
func wantThrottled(t *testing.T, r response, windowSeconds int) {
	t.Helper()
	if r.status != 429 || r.errorCode(t) != "rate_limited" {
		t.Fatalf("want 429 rate_limited, got %d %s", r.status, r.body)
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > windowSeconds {
		t.Errorf("Retry-After %q, want 1..%d seconds", r.header.Get("Retry-After"), windowSeconds)
	}
}

func metricLine(t *testing.T, nodeURL, prefix string) string {
	t.Helper()
	for line := range strings.SplitSeq(string(call(t, "GET", nodeURL+"/metrics", "", nil).body), "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

// Failures spread over three nodes that share Redis add up to one limit,
// per address (the one the trusted proxy names) and per openid.
func TestThrottleAcrossNodesSharingRedis(t *testing.T) {
	const ipLimit, openidLimit = 6, 3
	c := startCluster(t, 3,
		"MINIAUTH_DB_URL="+testserver.Postgres(t),
		"MINIAUTH_REDIS_URL="+testserver.NewRedis(t).URL,
		"MINIAUTH_HTTP_TRUSTED_PROXIES=127.0.0.1",
		fmt.Sprintf("MINIAUTH_THROTTLE_IP_FAILURES=%d", ipLimit),
		fmt.Sprintf("MINIAUTH_THROTTLE_OPENID_FAILURES=%d", openidLimit),
	)
	node := func(i int) string { return c.nodes[i%len(c.nodes)].URL }
	exchanges := func() int64 { return c.sim.Stats().Calls["sns/jscode2session"] }

	t.Run("per address", func(t *testing.T) {
		const ip = "198.51.100.7"
		for i := range ipLimit {
			if i%2 == 0 {
				r := callFrom(t, ip, "POST", node(i)+"/api/v1/auth/login", map[string]string{"code": "bad-code"})
				if r.status != 400 || r.errorCode(t) != "invalid_code" {
					t.Fatalf("failure %d: %d %s", i+1, r.status, r.body)
				}
			} else {
				r := callFrom(t, ip, "POST", node(i)+"/api/v1/auth/refresh", map[string]string{"refresh_token": "mrt_unknown"})
				if r.status != 401 {
					t.Fatalf("failure %d: %d %s", i+1, r.status, r.body)
				}
			}
		}
		// Every node now refuses that address, a good code included, and
		// without spending it.
		before := exchanges()
		code, _, err := c.sim.LoginCode(clusterApp, "", "")
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.nodes {
			wantThrottled(t, callFrom(t, ip, "POST", node(i)+"/api/v1/auth/login", map[string]string{"code": code}), 600)
			wantThrottled(t, callFrom(t, ip, "POST", node(i)+"/api/v1/auth/refresh", map[string]string{"refresh_token": "mrt_x"}), 600)
		}
		if got := exchanges(); got != before {
			t.Errorf("throttled logins made %d code exchanges", got-before)
		}
		// The same code from another address of the same crowd is fine.
		if r := callFrom(t, "198.51.100.8", "POST", node(1)+"/api/v1/auth/login", map[string]string{"code": code}); r.status != 200 {
			t.Errorf("another address: %d %s", r.status, r.body)
		}
		for i := range c.nodes {
			want := `miniauth_throttled_total{limit="ip",route="/api/v1/auth/login"} 1`
			if got := metricLine(t, node(i), `miniauth_throttled_total{limit="ip",route="/api/v1/auth/login"}`); got != want {
				t.Errorf("node %d metric %q, want %q", i+1, got, want)
			}
		}
	})

	t.Run("per openid", func(t *testing.T) {
		a := c.login(t, 0, "")
		if r := call(t, "POST", node(0)+"/admin/v1/users/"+a.User.ID+"/disable", adminToken, nil); r.status != 200 {
			t.Fatalf("disable: %d %s", r.status, r.body)
		}
		// From a new address each time: only the openid limit can apply.
		login := func(i int) response {
			code, _, err := c.sim.LoginCode(clusterApp, a.User.OpenID, "")
			if err != nil {
				t.Fatal(err)
			}
			return callFrom(t, fmt.Sprintf("203.0.113.%d", i), "POST", node(i)+"/api/v1/auth/login", map[string]string{"code": code})
		}
		for i := range openidLimit {
			if r := login(i); r.status != 403 || r.errorCode(t) != "user_blocked" {
				t.Fatalf("blocked login %d: %d %s", i+1, r.status, r.body)
			}
		}
		for i := openidLimit; i < openidLimit+len(c.nodes); i++ {
			wantThrottled(t, login(i), 600)
		}
	})
}

// Without Redis the limit lives in the node's memory: the same edge, and
// http.trusted_proxies unset means the connection's own address counts.
func TestThrottleInMemoryAtItsEdge(t *testing.T) {
	n := startTestNode(t, "MINIAUTH_THROTTLE_IP_FAILURES=3", "MINIAUTH_THROTTLE_IP_WINDOW=2m")
	// Malformed JSON is not a failure that counts: it costs nothing.
	for range 5 {
		if r := call(t, "POST", n.URL+"/api/v1/auth/refresh", "", `{"refresh_token":`); r.status != 400 {
			t.Fatalf("bad JSON: %d %s", r.status, r.body)
		}
	}
	for i := 1; i <= 3; i++ {
		// An X-Forwarded-For from an untrusted client changes nothing.
		r := callFrom(t, fmt.Sprintf("192.0.2.%d", i), "POST", n.URL+"/api/v1/auth/login", map[string]string{"code": "bad"})
		if r.status != 400 {
			t.Fatalf("failure %d: %d %s", i, r.status, r.body)
		}
	}
	code := mintCode(t, n.URL+"/_wxsim", "")
	wantThrottled(t, call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code}), 120)
	stats := call(t, "GET", n.URL+"/_wxsim/_sim/stats", "", nil).json(t)
	if calls := stats["calls"].(map[string]any)["sns/jscode2session"]; calls != float64(3) {
		t.Errorf("code exchanges: %v, want the 3 failures' only", calls)
	}
	if got := metricLine(t, n.URL, "miniauth_throttle_counter_errors_total"); got != "miniauth_throttle_counter_errors_total 0" {
		t.Errorf("counter errors metric: %q", got)
	}
}
