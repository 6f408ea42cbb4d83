package main

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gojose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/miniauth/miniauth/jose"
)

var introspectionSecrets = []string{strings.Repeat("a", 32), strings.Repeat("b", 40)}

func jwtEnv(extra ...string) []string {
	return append([]string{"MINIAUTH_TOKENS_FORMAT=jwt",
		"MINIAUTH_TOKENS_INTROSPECTION_SECRETS=" + strings.Join(introspectionSecrets, ",")}, extra...)
}

// fetchJWKS gets the node's JWKS over HTTP, as a service behind would.
func fetchJWKS(t *testing.T, base string) (gojose.JSONWebKeySet, response) {
	t.Helper()
	r := call(t, "GET", base+"/.well-known/jwks.json", "", nil)
	var set gojose.JSONWebKeySet
	if r.status != 200 || json.Unmarshal(r.body, &set) != nil {
		t.Fatalf("jwks: %d %s", r.status, r.body)
	}
	return set, r
}

// verifyIndependently checks token with go-jose alone against the JWKS
// fetched from base, and returns its header's kid and its claims.
func verifyIndependently(t *testing.T, base, token, issuer string) (string, map[string]any) {
	t.Helper()
	set, _ := fetchJWKS(t, base)
	tok, err := jwt.ParseSigned(token, []gojose.SignatureAlgorithm{gojose.EdDSA, gojose.ES256})
	if err != nil {
		t.Fatalf("not a JWS: %v", err)
	}
	kid := tok.Headers[0].KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		t.Fatalf("kid %s is not in the JWKS of %s", kid, base)
	}
	var std jwt.Claims
	all := map[string]any{}
	if err := tok.Claims(keys[0].Key, &std, &all); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: issuer, Time: time.Now()}, 0); err != nil {
		t.Fatalf("claims: %v", err)
	}
	return kid, all
}

func TestJWTAccessTokensEndToEnd(t *testing.T) {
	t.Parallel()
	n := startTestNode(t, jwtEnv()...)
	a := n.login(t, "")
	kid, claims := verifyIndependently(t, n.URL, a.AccessToken, n.URL)
	verified := call(t, "GET", n.URL+"/api/v1/auth/verify", a.AccessToken, nil).json(t)
	for name, want := range map[string]any{"iss": n.URL, "sub": a.User.ID, "openid": a.User.OpenID,
		"appid": verified["appid"], "sid": claims["sid"]} {
		if claims[name] != want || want == "" || want == nil {
			t.Errorf("claim %s = %v, want %v", name, claims[name], want)
		}
	}
	for _, name := range []string{"iat", "exp", "jti", "sid"} {
		if claims[name] == nil || claims[name] == "" {
			t.Errorf("claim %s missing", name)
		}
	}
	if exp := int64(claims["exp"].(float64)); exp-int64(claims["iat"].(float64)) != 7200 {
		t.Errorf("exp - iat = %d", exp-int64(claims["iat"].(float64)))
	}
	if kid == "" || a.TokenType != "Bearer" {
		t.Errorf("kid %q, token_type %q", kid, a.TokenType)
	}

	_, r := fetchJWKS(t, n.URL)
	if got := r.header.Get("Cache-Control"); got != "public, max-age=600" {
		t.Errorf("JWKS Cache-Control %q", got)
	}
	meta := call(t, "GET", n.URL+"/.well-known/oauth-authorization-server", "", nil).json(t)
	if meta["issuer"] != n.URL || meta["jwks_uri"] != n.URL+"/.well-known/jwks.json" ||
		meta["introspection_endpoint"] != n.URL+"/api/v1/auth/introspect" {
		t.Errorf("metadata %v", meta)
	}

	// A tampered token: the payload names another user.
	parts := strings.Split(a.AccessToken, ".")
	payload := []byte(parts[1])
	payload[len(payload)/2] ^= 2
	if r := call(t, "GET", n.URL+"/api/v1/auth/verify", parts[0]+"."+string(payload)+"."+parts[2], nil); r.status != 401 {
		t.Errorf("tampered token: %d", r.status)
	}
	// Refresh tokens stay opaque, and refresh gives a new JWT of the session.
	next := decodeLogin(t, call(t, "POST", n.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": a.RefreshToken}))
	if !strings.HasPrefix(next.RefreshToken, "mrt_") {
		t.Errorf("refresh token %q", next.RefreshToken)
	}
	if _, c2 := verifyIndependently(t, n.URL, next.AccessToken, n.URL); c2["sid"] != claims["sid"] || c2["jti"] == claims["jti"] {
		t.Errorf("after refresh: sid %v jti %v", c2["sid"], c2["jti"])
	}
}

// Two nodes on one database without Redis: a logout on one reaches the
// other's verify within 1 s, although the JWT is still unexpired.
func TestLogoutRefusesAnUnexpiredJWTWithinASecond(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := startTestNode(t, jwtEnv("MINIAUTH_DATA_DIR="+dir)...)
	b := startTestNode(t, jwtEnv("MINIAUTH_DATA_DIR="+dir, "MINIAUTH_TOKENS_ISSUER="+a.URL)...)
	login := a.login(t, "")
	if r := call(t, "GET", b.URL+"/api/v1/auth/verify", login.AccessToken, nil); r.status != 200 {
		t.Fatalf("the other node: %d %s", r.status, r.body)
	}
	if r := call(t, "POST", a.URL+"/api/v1/auth/logout", login.AccessToken, nil); r.status != 204 {
		t.Fatalf("logout: %d", r.status)
	}
	took := eventually(t, 2*time.Second, "logout seen by the other node", func() bool {
		return call(t, "GET", b.URL+"/api/v1/auth/verify", login.AccessToken, nil).status == 401
	})
	if took >= time.Second {
		t.Errorf("refused after %v; the contract says within 1 s", took)
	}
	verifyIndependently(t, a.URL, login.AccessToken, a.URL) // still unexpired and validly signed
}

func introspect(t *testing.T, base, secret, token string) response {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/v1/auth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	r := send(t, httpClient, req)
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("introspection Cache-Control %q", r.header.Get("Cache-Control"))
	}
	return r
}

func TestIntrospection(t *testing.T) {
	for _, format := range []string{"opaque", "jwt"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			n := startTestNode(t, jwtEnv("MINIAUTH_TOKENS_FORMAT="+format, "MINIAUTH_TOKENS_ACCESS_TTL=10s")...)
			live, revoked, expiring := n.login(t, ""), n.login(t, ""), n.login(t, "")
			call(t, "POST", n.URL+"/api/v1/auth/logout", revoked.AccessToken, nil)
			for _, secret := range []string{"", "wrong", introspectionSecrets[0] + "x", strings.ToUpper(introspectionSecrets[0])} {
				if r := introspect(t, n.URL, secret, live.AccessToken); r.status != 401 || r.errorCode(t) != "unauthorized" {
					t.Errorf("caller secret %q: %d %s", secret, r.status, r.body)
				}
			}
			for _, secret := range introspectionSecrets {
				ans := introspect(t, n.URL, secret, live.AccessToken).json(t)
				if ans["active"] != true || ans["sub"] != live.User.ID || ans["openid"] != live.User.OpenID ||
					ans["appid"] == nil || ans["sid"] == nil || ans["iss"] != n.URL || ans["token_type"] != "access_token" ||
					ans["exp"].(float64)-ans["iat"].(float64) != 10 {
					t.Errorf("live token: %v", ans)
				}
			}
			inactive := map[string]string{"revoked": revoked.AccessToken, "refresh token": live.RefreshToken,
				"garbage": "eyJhbGciOiJFZERTQSJ9.e30.AAAA", "opaque garbage": "mat_" + strings.Repeat("A", 43)}
			for name, token := range inactive {
				if r := introspect(t, n.URL, introspectionSecrets[1], token); r.status != 200 || string(r.body) != `{"active":false}` {
					t.Errorf("%s: %d %s", name, r.status, r.body)
				}
			}
			time.Sleep(10 * time.Second)
			if r := introspect(t, n.URL, introspectionSecrets[1], expiring.AccessToken); string(r.body) != `{"active":false}` {
				t.Errorf("expired: %d %s", r.status, r.body)
			}
			if r := introspect(t, n.URL, introspectionSecrets[1], ""); r.status != 400 {
				t.Errorf("no token: %d %s", r.status, r.body)
			}
		})
	}
}

// Three nodes on one database rotate keys every 2 s (JWKS max-age 1 s,
// reload 100 ms: a key is published 1.2 s before it signs). Tokens signed
// before a rotation keep verifying everywhere, new ones carry the new kid,
// and every node's JWKS holds the key of every live token.
func TestKeyRotationAcrossThreeNodes(t *testing.T) {
	t.Parallel()
	kek := jose.NewKeyEncryptionKey()
	c := startCluster(t, 3, "MINIAUTH_DB_URL=sqlite://"+t.TempDir()+"/shared.db",
		"MINIAUTH_TOKENS_FORMAT=jwt", "MINIAUTH_TOKENS_ISSUER=https://auth.example.com",
		"MINIAUTH_TOKENS_KEY_ENCRYPTION_KEY="+kek, "MINIAUTH_TOKENS_KEY_ROTATION=2s",
		"MINIAUTH_TOKENS_KEY_RELOAD=100ms", "MINIAUTH_TOKENS_JWKS_MAX_AGE=1s")
	var tokens []string
	kids := map[string]bool{}
	var mu sync.Mutex
	for round := 0; round < 14; round++ {
		for i, n := range c.nodes {
			a := c.login(t, i, "")
			kid, _ := verifyIndependently(t, n.URL, a.AccessToken, "https://auth.example.com")
			mu.Lock()
			tokens, kids[kid] = append(tokens, a.AccessToken), true
			mu.Unlock()
		}
		for _, token := range tokens {
			c.verifiesEverywhere(t, token)
		}
		for i, n := range c.nodes {
			set, _ := fetchJWKS(t, n.URL)
			for kid := range kids {
				if len(set.Key(kid)) != 1 {
					t.Fatalf("round %d: node %d's JWKS lacks kid %s of a live token", round, i, kid)
				}
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(kids) < 3 {
		t.Errorf("%d kids in 7 s at a 2 s rotation: %v", len(kids), slices.Collect(maps.Keys(kids)))
	}
	t.Logf("%d tokens under %d keys verified on every node", len(tokens), len(kids))
}
