package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth/internal/testserver"
	"github.com/miniauth/miniauth/jose"
)

// Nodes that share a key encryption key seal their access tokens and
// verify them from the claims and the feed of session endings: with
// nothing but the database between them (no Redis, no events), a logout
// or a disable on one node reaches the others within a second, and a
// verify asks no store.
func TestSealedTokensOnNodesSharingPostgres(t *testing.T) {
	c := startCluster(t, 3, "MINIAUTH_DB_URL="+testserver.Postgres(t),
		"MINIAUTH_TOKENS_KEY_ENCRYPTION_KEY="+jose.NewKeyEncryptionKey(),
		// A long cache TTL: only the feed can end the tokens in time.
		"MINIAUTH_TOKENS_CACHE_TTL=30s")
	a := c.login(t, 0, "")
	opaque, _, sealed := strings.Cut(a.AccessToken, ".")
	if !sealed || len(opaque) != len(a.RefreshToken) {
		t.Fatalf("access token %q is not sealed", a.AccessToken)
	}
	eventually(t, 2*time.Second, "every node answering from the sealed token", func() bool {
		for _, n := range c.nodes {
			before := sealedVerifies(t, n)
			if call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil).status != 200 || sealedVerifies(t, n) == before {
				return false
			}
		}
		return true
	})
	misses := cacheMetric(t, c.nodes[2], `result="miss"`)
	for range 5 {
		c.verifiesEverywhere(t, a.AccessToken)
	}
	if got := cacheMetric(t, c.nodes[2], `result="miss"`); got != misses {
		t.Errorf("verifies of a sealed token asked the store (%v misses, were %v)", got, misses)
	}
	if r := call(t, "GET", c.nodes[1].URL+"/api/v1/me", a.AccessToken, nil); r.status != 200 || r.json(t)["id"] != a.User.ID {
		t.Fatalf("/me: %d %s", r.status, r.body)
	}

	// A refresh hands out a new sealed token; the one it replaced lives
	// until it expires, as a JWT would.
	b := decodeLogin(t, call(t, "POST", c.nodes[1].URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken}))
	c.verifiesEverywhere(t, b.AccessToken)
	c.verifiesEverywhere(t, a.AccessToken)
	if r := call(t, "POST", c.nodes[2].URL+"/api/v1/auth/logout", b.AccessToken, nil); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	c.refusedEverywhere(t, b.AccessToken, "a sealed token's logout")
	c.refusedEverywhere(t, a.AccessToken, "the token a refresh replaced, after the logout")

	d := c.login(t, 1, "")
	c.verifiesEverywhere(t, d.AccessToken)
	if r := call(t, "POST", c.nodes[0].URL+"/admin/v1/users/"+d.User.ID+"/disable", adminToken, nil); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	c.refusedEverywhere(t, d.AccessToken, "a disabled user's sealed token")
}

// sealedVerifies is the node's count of verifies answered from a sealed
// token.
func sealedVerifies(t *testing.T, n *testNode) float64 {
	t.Helper()
	line := metricLine(t, n.URL, "miniauth_verify_sealed_total ")
	v, err := strconv.ParseFloat(strings.TrimPrefix(line, "miniauth_verify_sealed_total "), 64)
	if err != nil {
		t.Fatalf("miniauth_verify_sealed_total: %q", line)
	}
	return v
}
