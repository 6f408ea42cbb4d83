package miniauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// fakeSigner "signs" by encoding the claims: enough to test how the
// service binds signed tokens to sessions. The jose package and the
// end-to-end tests check real signatures.
type fakeSigner struct{ now func() time.Time }

func (fakeSigner) SignAccessToken(c AccessClaims) (string, error) {
	b, _ := json.Marshal(c)
	return "eyJhbGciOiJmYWtlIn0." + base64.RawURLEncoding.EncodeToString(b) + ".sig", nil
}

func (fakeSigner) ParseAccessToken(token string, now time.Time) (*AccessClaims, error) {
	parts := strings.Split(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || parts[2] != "sig" {
		return nil, errUnauthorized
	}
	var c AccessClaims
	if err := json.Unmarshal(b, &c); err != nil || !now.Before(c.ExpiresAt) {
		return nil, errUnauthorized
	}
	return &c, nil
}

func newSignedFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.svc = NewService(f.users, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, RefreshReuseLeeway: DefaultRefreshReuseLeeway,
		Apps: []string{"wxapp"}, Now: f.clock.Now, Signer: fakeSigner{}, Issuer: "https://auth.example.com",
	})
	return f
}

func claimsOf(t *testing.T, token string) AccessClaims {
	t.Helper()
	c, err := fakeSigner{}.ParseAccessToken(token, time.Time{})
	if err != nil {
		t.Fatalf("not a signed token: %q", token)
	}
	return *c
}

func TestSignedTokensNameTheirSessionAndAreBoundToIt(t *testing.T) {
	f := newSignedFixture(t)
	ctx := context.Background()
	res := f.login(t, "o1")
	c := claimsOf(t, res.AccessToken)
	session, err := f.svc.Verify(ctx, res.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionID != session.ID || c.UserID != session.UserID || c.OpenID != "o1" || c.AppID != "wxapp" {
		t.Errorf("claims %+v for session %+v", c, session)
	}
	if !c.ExpiresAt.Equal(session.AccessExpiresAt) || !c.ExpiresAt.Equal(res.AccessExpiresAt) || c.IssuedAt.Nanosecond() != 0 {
		t.Errorf("claims expire %v, session %v, answer %v", c.ExpiresAt, session.AccessExpiresAt, res.AccessExpiresAt)
	}
	// The jti is readable by anyone holding the token: never a token by itself.
	if _, err := f.svc.Verify(ctx, c.ID); ErrorCode(err) != EUnauthorized {
		t.Errorf("the bare jti verified: %v", err)
	}
	if _, err := f.svc.Verify(ctx, accessTokenPrefix+c.ID); ErrorCode(err) != EUnauthorized {
		t.Errorf("the jti as an opaque token verified: %v", err)
	}
	// A validly signed token naming another session is refused.
	other := f.login(t, "o2")
	forged := c
	forged.SessionID = claimsOf(t, other.AccessToken).SessionID
	token, _ := fakeSigner{}.SignAccessToken(forged)
	if _, err := f.svc.Verify(ctx, token); ErrorCode(err) != EUnauthorized {
		t.Errorf("a token naming another session verified: %v", err)
	}
}

func TestSignedTokensRotateAndRevokeLikeOpaqueOnes(t *testing.T) {
	f := newSignedFixture(t)
	ctx := context.Background()
	res := f.login(t, "o1")
	next, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if claimsOf(t, next.AccessToken).SessionID != claimsOf(t, res.AccessToken).SessionID {
		t.Error("a refresh must keep the session")
	}
	if _, err := f.svc.Verify(ctx, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("the access token before the refresh still verifies: %v", err)
	}
	session, err := f.svc.Verify(ctx, next.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Logout(ctx, LogoutRequest{Session: session}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(ctx, next.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("an unexpired JWT after logout: %v", err)
	}
}

func TestSignedModeStillTakesOpaqueTokensIssuedBefore(t *testing.T) {
	f := newFixture(t)
	res := f.login(t, "o1")
	f.svc = NewService(f.users, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, RefreshReuseLeeway: DefaultRefreshReuseLeeway, Apps: []string{"wxapp"}, Now: f.clock.Now, Signer: fakeSigner{}})
	if _, err := f.svc.Verify(context.Background(), res.AccessToken); err != nil {
		t.Errorf("opaque token after switching to jwt: %v", err)
	}
}

func TestIntrospect(t *testing.T) {
	f := newSignedFixture(t)
	ctx := context.Background()
	res := f.login(t, "o1")
	in, err := f.svc.Introspect(ctx, res.AccessToken)
	if err != nil || !in.Active || in.Session.OpenID != "o1" || in.Issuer != "https://auth.example.com" {
		t.Fatalf("live token: %+v, %v", in, err)
	}
	if !in.IssuedAt.Equal(claimsOf(t, res.AccessToken).IssuedAt) {
		t.Errorf("iat %v", in.IssuedAt)
	}
	for name, token := range map[string]string{
		"refresh token": res.RefreshToken,
		"garbage":       "eyJ.garbage.x",
		"empty":         "",
	} {
		if in, err := f.svc.Introspect(ctx, token); err != nil || in.Active {
			t.Errorf("%s: %+v, %v", name, in, err)
		}
	}
	f.clock.Add(DefaultAccessTTL)
	if in, err := f.svc.Introspect(ctx, res.AccessToken); err != nil || in.Active {
		t.Errorf("expired: %+v, %v", in, err)
	}
}

// countingSigner counts signature checks.
type countingSigner struct {
	fakeSigner
	parses *int
}

func (c countingSigner) ParseAccessToken(token string, now time.Time) (*AccessClaims, error) {
	*c.parses++
	return c.fakeSigner.ParseAccessToken(token, now)
}

func TestASignatureIsCheckedOnceWhileTheSessionIsAskedAgain(t *testing.T) {
	f := newFixture(t)
	parses := 0
	f.svc = NewService(f.users, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, RefreshReuseLeeway: DefaultRefreshReuseLeeway, Apps: []string{"wxapp"}, Now: f.clock.Now,
		Signer: countingSigner{parses: &parses}})
	ctx := context.Background()
	res := f.login(t, "o1")
	for range 3 {
		if _, err := f.svc.Verify(ctx, res.AccessToken); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Second) // past the verify cache's TTL
	}
	if parses != 1 {
		t.Errorf("%d signature checks; want 1", parses)
	}
	if err := f.sessions.RevokeSession(ctx, claimsOf(t, res.AccessToken).SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(ctx, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("a revoked session must be refused although its signature is remembered: %v", err)
	}
}

// A jti begins with its time, so the hashes sessions store for signed
// tokens sort as they were made, as opaque ones do; a jti from before that
// keeps its old hash, and no jti hashes as an opaque token would.
func TestJTIHashesSortByTime(t *testing.T) {
	first := newToken("")
	time.Sleep(2 * time.Millisecond)
	second := newToken("")
	if a, b := jtiHash(first), jtiHash(second); len(a) != 64 || a >= b || a[:12] != HashToken("mat_" + first)[:12] {
		t.Errorf("jti hashes %s then %s: not in the order made", a, b)
	}
	if jtiHash(first) == HashToken("mat_"+first) || jtiHash(first) == HashToken(first) {
		t.Error("a jti hashes as an opaque token")
	}
	old := strings.Repeat("A", 43) // 256 bits alone
	if sum := sha256.Sum256([]byte("jti:" + old)); jtiHash(old) != hex.EncodeToString(sum[:]) {
		t.Errorf("a jti from before times hashes as %s", jtiHash(old))
	}
}
