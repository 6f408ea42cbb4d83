package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testserver"
)

// Redis stops mid-run: the node answers 503 in the contract's shape (never
// 500), /readyz names Redis, and when Redis returns everything works again,
// without a restart and without losing a session.
// Here access tokens are opaque alone, so verify and /me ask Redis too.
func TestRedisOutage(t *testing.T) {
	rds := testserver.NewRedis(t)
	testRedisOutage(t, rds.URL, rds.Stop, rds.Start, false)
}

// The same with every node of a Redis Cluster down: the client finds the
// cluster again once its nodes are back. Access tokens are sealed (dev
// mode's): verify and /me need only the database, and go on answering.
func TestRedisClusterOutage(t *testing.T) {
	c := testserver.NewRedisCluster(t)
	stop := func() {
		for _, n := range c.Nodes {
			n.Stop()
		}
	}
	start := func() error {
		for _, n := range c.Nodes {
			if err := n.Start(); err != nil {
				return err
			}
		}
		return nil
	}
	testRedisOutage(t, c.URL, stop, start, true)
}

func testRedisOutage(t *testing.T, redisURL string, stopRedis func(), startRedis func() error, sealed bool) {
	n := startTestNode(t, "MINIAUTH_REDIS_URL="+redisURL, "MINIAUTH_TOKENS_SEAL="+strconv.FormatBool(sealed))
	a := n.login(t, "")
	if r := call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil); r.status != 200 {
		t.Fatalf("verify: %d", r.status)
	}

	stopRedis()
	failing := []response{
		call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": mintCode(t, n.URL+"/_wxsim", "")}),
		call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken}),
	}
	if sealed {
		for _, path := range []string{"/api/v1/auth/verify", "/api/v1/me"} {
			if r := call(t, "GET", n.URL+path, a.AccessToken, nil); r.status != 200 {
				t.Errorf("%s of a sealed token during the outage: %d %s", path, r.status, r.body)
			}
		}
	} else {
		// Within the verify cache's TTL (800 ms), verify has to ask Redis.
		eventually(t, 3*time.Second, "verify answering 503", func() bool {
			return call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil).status == 503
		})
		failing = append(failing, call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil),
			call(t, "GET", n.URL+"/api/v1/me", a.AccessToken, nil))
	}
	for _, r := range failing {
		if r.status != 503 || r.errorCode(t) != "upstream_unavailable" {
			t.Errorf("during the outage: %d %s", r.status, r.body)
		}
	}
	ready := call(t, "GET", n.URL+"/readyz", "", nil)
	if ready.status != 503 || ready.errorCode(t) != "upstream_unavailable" || !strings.Contains(string(ready.body), "redis") {
		t.Errorf("readyz during the outage: %d %s", ready.status, ready.body)
	}
	if checks := ready.json(t)["checks"].(map[string]any); checks["database"] != "ok" || checks["redis"] == "ok" {
		t.Errorf("readyz checks: %v", checks)
	}

	if err := startRedis(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "readyz after Redis returned", func() bool {
		return call(t, "GET", n.URL+"/readyz", "", nil).status == 200
	})
	eventually(t, 5*time.Second, "verify after Redis returned", func() bool {
		return call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil).status == 200
	})
	// A cluster's masters come back one by one: a login, which writes to
	// several of them, may still meet one that is not serving its slots
	// (503, as it should) after a read on another already succeeded.
	eventually(t, 10*time.Second, "a login after Redis returned", func() bool {
		code := mintCode(t, n.URL+"/_wxsim", "")
		return call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code}).status == 200
	})
	// The refresh tried during the outage did not consume the token.
	b := decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken}))
	if b.User.ID != a.User.ID {
		t.Errorf("refresh after the outage: %+v", b)
	}
	if strings.Contains(n.logs.String(), `"status":500`) {
		t.Error("a request answered 500 during the outage")
	}
}

// The same for the database: PostgreSQL stops, the node says so and comes
// back by itself.
func TestDatabaseOutage(t *testing.T) {
	pg := testserver.NewPostgres(t)
	n := startTestNode(t, "MINIAUTH_DB_URL="+pg.URL)
	a := n.login(t, "")

	pg.Stop()
	code := mintCode(t, n.URL+"/_wxsim", "")
	if r := call(t, "POST", n.URL+"/api/v1/auth/login", "", map[string]string{"code": code}); r.status != 503 || r.errorCode(t) != "upstream_unavailable" {
		t.Errorf("login during the outage: %d %s", r.status, r.body)
	}
	eventually(t, 3*time.Second, "verify answering 503", func() bool {
		return call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil).status == 503
	})
	ready := call(t, "GET", n.URL+"/readyz", "", nil)
	if ready.status != 503 || !strings.Contains(string(ready.body), "database") {
		t.Errorf("readyz during the outage: %d %s", ready.status, ready.body)
	}

	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "readyz after PostgreSQL returned", func() bool {
		return call(t, "GET", n.URL+"/readyz", "", nil).status == 200
	})
	eventually(t, 5*time.Second, "verify after PostgreSQL returned", func() bool {
		return call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil).status == 200
	})
	n.login(t, a.User.OpenID)
}
