package main

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/wxsim"
)

const clusterApp, clusterSecret = "wxclusterapp00001", "cluster-secret"

type cluster struct {
	nodes []*testNode
	sim   *wxsim.Simulator
}

// startCluster starts n identical nodes at once on one database and one
// Redis, all talking to one simulated WeChat, as a real deployment behind a
// load balancer would (the test spreads the requests itself).
func startCluster(t *testing.T, n int, env ...string) *cluster {
	t.Helper()
	sim := wxsim.New(wxsim.Options{Apps: map[string]string{clusterApp: clusterSecret}})
	wx := httptest.NewServer(sim)
	t.Cleanup(wx.Close)
	env = append([]string{
		"MINIAUTH_WECHAT_APPID=" + clusterApp,
		"MINIAUTH_WECHAT_SECRET=" + clusterSecret,
		"MINIAUTH_WECHAT_BASE_URL=" + wx.URL,
		"MINIAUTH_ADMIN_TOKEN=" + adminToken,
	}, env...)
	c := &cluster{nodes: make([]*testNode, n), sim: sim}
	var wg sync.WaitGroup
	for i := range c.nodes {
		wg.Add(1)
		go func() { // at once: the migrations must not race
			defer wg.Done()
			c.nodes[i] = startTestNode(t, env...)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return c
}

func (c *cluster) login(t *testing.T, node int, openid string) loginAnswer {
	t.Helper()
	code, _, err := c.sim.LoginCode(clusterApp, openid, "")
	if err != nil {
		t.Fatal(err)
	}
	return decodeLogin(t, call(t, "POST", c.nodes[node].URL+"/api/v1/auth/login", "", map[string]string{"code": code}))
}

// refusedEverywhere waits until every node refuses the access token and
// returns how long that took.
func (c *cluster) refusedEverywhere(t *testing.T, token, what string) time.Duration {
	t.Helper()
	took := eventually(t, 2*time.Second, what, func() bool {
		for _, n := range c.nodes {
			if call(t, "GET", n.URL+"/api/v1/auth/verify", token, nil).status != 401 {
				return false
			}
		}
		return true
	})
	if took >= time.Second {
		t.Errorf("%s took %v on some node; the contract says within 1 s", what, took)
	}
	t.Logf("%s: refused on every node after %v", what, took)
	return took
}

// refreshThenLogOut refreshes a's session on the second node, waits until
// every node refuses the replaced access token and takes the new one, logs
// out on the third, and waits until every node refuses that too (what
// names the logout). It returns the refreshed tokens.
func (c *cluster) refreshThenLogOut(t *testing.T, a loginAnswer, what string) loginAnswer {
	t.Helper()
	b := decodeLogin(t, call(t, "POST", c.nodes[1].URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken}))
	c.refusedEverywhere(t, a.AccessToken, "the access token replaced by a refresh")
	c.verifiesEverywhere(t, b.AccessToken)
	if r := call(t, "POST", c.nodes[2].URL+"/api/v1/auth/logout", b.AccessToken, nil); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	c.refusedEverywhere(t, b.AccessToken, what)
	return b
}

func (c *cluster) verifiesEverywhere(t *testing.T, token string) {
	t.Helper()
	for i, n := range c.nodes {
		if r := call(t, "GET", n.URL+"/api/v1/auth/verify", token, nil); r.status != 200 {
			t.Fatalf("node %d: verify %d %s", i+1, r.status, r.body)
		}
	}
}

func TestClusterOnPostgresAndRedis(t *testing.T) {
	testCluster(t, testserver.Postgres(t), testserver.NewRedis(t).URL)
}

// The same three nodes on a three-master Redis Cluster.
func TestClusterOnPostgresAndRedisCluster(t *testing.T) {
	testCluster(t, testserver.Postgres(t), testserver.NewRedisCluster(t).URL)
}

func TestClusterOnMySQLAndRedis(t *testing.T) {
	testCluster(t, testserver.MySQL(t), testserver.NewRedis(t).URL)
}

func testCluster(t *testing.T, dbURL, redisURL string) {
	// A long cache TTL: only the Redis events can make revocations as fast
	// as the contract asks. No reuse leeway: a reuse revokes at once.
	c := startCluster(t, 3, "MINIAUTH_DB_URL="+dbURL, "MINIAUTH_REDIS_URL="+redisURL, "MINIAUTH_TOKENS_CACHE_TTL=30s",
		"MINIAUTH_TOKENS_REFRESH_REUSE_LEEWAY=0s")

	t.Run("tokens travel and revocations reach every node", func(t *testing.T) {
		a := c.login(t, 0, "")
		c.verifiesEverywhere(t, a.AccessToken) // every cache now holds it
		b := c.refreshThenLogOut(t, a, "logout")
		if r := call(t, "POST", c.nodes[0].URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": b.RefreshToken}); r.status != 401 {
			t.Errorf("refresh after logout: %d", r.status)
		}
	})

	t.Run("refresh token reuse revokes everywhere", func(t *testing.T) {
		a := c.login(t, 1, "")
		b := decodeLogin(t, call(t, "POST", c.nodes[2].URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken}))
		c.verifiesEverywhere(t, b.AccessToken)
		if r := call(t, "POST", c.nodes[0].URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken}); r.status != 401 {
			t.Fatalf("reuse: %d", r.status)
		}
		c.refusedEverywhere(t, b.AccessToken, "refresh token reuse")
	})

	t.Run("disabling a user reaches every node", func(t *testing.T) {
		a := c.login(t, 2, "")
		c.verifiesEverywhere(t, a.AccessToken)
		if r := call(t, "POST", c.nodes[0].URL+"/admin/v1/users/"+a.User.ID+"/disable", adminToken, nil); r.status != 200 {
			t.Fatalf("disable: %d %s", r.status, r.body)
		}
		c.refusedEverywhere(t, a.AccessToken, "disabling the user")
	})

	t.Run("concurrent first logins across nodes make one user", func(t *testing.T) {
		const logins = 50
		openid := "oClusterFirstLogin" + fmt.Sprint(time.Now().UnixNano())
		codes := make([]string, logins)
		for i := range codes {
			codes[i], _, _ = c.sim.LoginCode(clusterApp, openid, "")
		}
		answers := make([]loginAnswer, logins)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = decodeLogin(t, call(t, "POST", c.nodes[i%3].URL+"/api/v1/auth/login", "", map[string]string{"code": codes[i]}))
			}()
		}
		wg.Wait()
		created := 0
		for _, a := range answers {
			if a.User.ID != answers[0].User.ID {
				t.Fatalf("two users for one openid")
			}
			if a.NewUser != nil && *a.NewUser {
				created++
			}
		}
		if created != 1 {
			t.Errorf("new_user true %d times", created)
		}
	})

	t.Run("phone bindings share one WeChat access token", func(t *testing.T) {
		const users, bindings = 20, 200
		sessions := make([]loginAnswer, users)
		for i := range sessions {
			sessions[i] = c.login(t, i%3, "")
		}
		before := c.sim.Stats().TokensIssued
		var wg sync.WaitGroup
		var mu sync.Mutex
		failures := 0
		for i := 0; i < bindings; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := sessions[i%users]
				phone := fmt.Sprintf("1380013%04d", i)
				code, err := c.sim.PhoneCode(clusterApp, s.User.OpenID, phone)
				if err != nil {
					t.Error(err)
					return
				}
				r := call(t, "POST", c.nodes[i%3].URL+"/api/v1/me/phone", s.AccessToken, map[string]string{"code": code})
				if r.status != 200 || !strings.HasPrefix(r.json(t)["phone"].(string), "1380013") {
					mu.Lock()
					failures++
					mu.Unlock()
					t.Errorf("binding %d: %d %s", i, r.status, r.body)
				}
			}()
		}
		wg.Wait()
		if failures > 0 {
			t.FailNow()
		}
		if got := c.sim.Stats().TokensIssued; got != 1 || before > 1 {
			t.Errorf("tokens issued by WeChat: %d (before the bindings %d), want 1 for the whole run", got, before)
		}

		// WeChat says the token is invalid, on every node at once: exactly
		// one forced refresh across the deployment, and every call retried.
		// (Invalidated rather than three faults: a node's retry could
		// otherwise take the fault meant for another node's first call.)
		c.sim.InvalidateAccessTokens(clusterApp)
		for i := 0; i < 3; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := sessions[i]
				code, _ := c.sim.PhoneCode(clusterApp, s.User.OpenID, "13900139000")
				r := call(t, "POST", c.nodes[i].URL+"/api/v1/me/phone", s.AccessToken, map[string]string{"code": code})
				if r.status != 200 {
					t.Errorf("binding after 40001 on node %d: %d %s", i+1, r.status, r.body)
				}
			}()
		}
		wg.Wait()
		if got := c.sim.Stats().TokensIssued; got != 2 {
			t.Errorf("tokens issued after a forced 40001: %d, want 2 (exactly one refresh)", got)
		}
		forced := 0
		for _, n := range c.nodes {
			m := string(call(t, "GET", n.URL+"/metrics", "", nil).body)
			if strings.Contains(m, `miniauth_wechat_access_token_refreshes_total{appid="`+clusterApp+`",kind="forced"} 1`) {
				forced++
			}
		}
		if forced != 1 {
			t.Errorf("%d nodes report a forced refresh, want exactly 1", forced)
		}
	})
}

// Without Redis, sessions live in the database and nothing carries events:
// the verify cache's TTL (800 ms) is what bounds revocation on the other nodes.
func TestClusterOnPostgresWithoutRedis(t *testing.T) {
	c := startCluster(t, 3, "MINIAUTH_DB_URL="+testserver.Postgres(t))
	a := c.login(t, 0, "")
	c.verifiesEverywhere(t, a.AccessToken)
	if r := call(t, "POST", c.nodes[1].URL+"/api/v1/auth/logout", a.AccessToken, nil); r.status != 204 {
		t.Fatalf("logout: %d", r.status)
	}
	c.refusedEverywhere(t, a.AccessToken, "logout without Redis")

	// stable_token gives every node the same WeChat token even without a
	// shared store.
	b := c.login(t, 2, "")
	for i := range c.nodes {
		code, _ := c.sim.PhoneCode(clusterApp, b.User.OpenID, "13800138000")
		if r := call(t, "POST", c.nodes[i].URL+"/api/v1/me/phone", b.AccessToken, map[string]string{"code": code}); r.status != 200 {
			t.Fatalf("phone on node %d: %d %s", i+1, r.status, r.body)
		}
	}
	if got := c.sim.Stats().TokensIssued; got != 1 {
		t.Errorf("tokens issued: %d", got)
	}
}

// Nodes on one SQLite file: each watches the file for the others' commits
// (sqlite.Changes), and trusts its caches for profile_ttl while none come;
// the others' revocations and changes still reach it within cache_ttl.
func TestClusterOnOneSQLiteFile(t *testing.T) {
	c := startCluster(t, 3, "MINIAUTH_DB_URL=sqlite://"+filepath.Join(t.TempDir(), "shared.db"))
	a := c.login(t, 0, "")
	c.verifiesEverywhere(t, a.AccessToken)
	for _, n := range c.nodes { // every node now holds the account too
		if r := call(t, "GET", n.URL+"/api/v1/me", a.AccessToken, nil); r.status != 200 {
			t.Fatalf("me: %d %s", r.status, r.body)
		}
	}
	if r := call(t, "PUT", c.nodes[1].URL+"/api/v1/me", a.AccessToken, map[string]any{"nickname": "小明"}); r.status != 200 {
		t.Fatalf("PUT /me: %d %s", r.status, r.body)
	}
	took := eventually(t, 2*time.Second, "the nickname on every node", func() bool {
		for _, n := range c.nodes {
			if call(t, "GET", n.URL+"/api/v1/me", a.AccessToken, nil).json(t)["nickname"] != "小明" {
				return false
			}
		}
		return true
	})
	if took >= time.Second {
		t.Errorf("the nickname took %v to reach every node", took)
	}

	c.refreshThenLogOut(t, a, "logout on one SQLite file")
}
