package jose_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	gojose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/jose"
	"github.com/miniauth/miniauth/sqlite"
)

const issuer = "https://auth.example.com"

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openStore(t *testing.T) miniauth.SigningKeyStore {
	db, err := sqlite.Open(context.Background(), ":memory:", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.SigningKeys()
}

var kek = bytes.Repeat([]byte{7}, jose.KeyEncryptionKeySize)

func testOptions(st miniauth.SigningKeyStore, c *clock) jose.Options {
	return jose.Options{
		Store: st, Issuer: issuer, KeyEncryptionKey: kek, Now: c.Now,
		Rotation: time.Hour, ReloadInterval: time.Minute, JWKSMaxAge: 5 * time.Minute, AccessTTL: 2 * time.Hour,
	}
}

func openKeys(t *testing.T, opts jose.Options) *jose.Keys {
	t.Helper()
	k, err := jose.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sign(t *testing.T, k *jose.Keys, c *clock) (string, miniauth.AccessClaims) {
	t.Helper()
	now := c.Now().Truncate(time.Second)
	claims := miniauth.AccessClaims{ID: miniauth.NewID(), SessionID: "s1", UserID: "u1", AppID: "wxapp", OpenID: "o1",
		IssuedAt: now, ExpiresAt: now.Add(2 * time.Hour)}
	token, err := k.SignAccessToken(claims)
	if err != nil {
		t.Fatal(err)
	}
	return token, claims
}

// independentCheck verifies token with go-jose alone, against the JWKS.
func independentCheck(t *testing.T, jwks []byte, token string, at time.Time) (map[string]any, error) {
	var set gojose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(token, []gojose.SignatureAlgorithm{gojose.EdDSA, gojose.ES256})
	if err != nil {
		return nil, err
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		return nil, errors.New("kid not in the JWKS")
	}
	var std jwt.Claims
	all := map[string]any{}
	if err := tok.Claims(keys[0].Key, &std, &all); err != nil {
		return nil, err
	}
	return all, std.ValidateWithLeeway(jwt.Expected{Issuer: issuer, Time: at}, 0)
}

func TestTokensCarryTheClaimsAndVerifyIndependently(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			c := &clock{now: time.Now()}
			opts := testOptions(openStore(t), c)
			opts.Algorithm = alg
			k := openKeys(t, opts)
			token, want := sign(t, k, c)
			all, err := independentCheck(t, k.JWKS(), token, c.Now())
			if err != nil {
				t.Fatal(err)
			}
			for name, v := range map[string]any{"iss": issuer, "sub": "u1", "sid": "s1", "appid": "wxapp", "openid": "o1",
				"jti": want.ID, "iat": float64(want.IssuedAt.Unix()), "exp": float64(want.ExpiresAt.Unix())} {
				if all[name] != v {
					t.Errorf("claim %s = %v, want %v", name, all[name], v)
				}
			}
			var header struct{ Alg, Kid, Typ string }
			raw, _ := jwt.ParseSigned(token, []gojose.SignatureAlgorithm{gojose.SignatureAlgorithm(alg)})
			header.Alg, header.Kid = raw.Headers[0].Algorithm, raw.Headers[0].KeyID
			if header.Alg != alg || header.Kid != k.SigningKeyID(c.Now()) {
				t.Errorf("header %+v", header)
			}
			got, err := k.ParseAccessToken(token, c.Now())
			if err != nil || *got != want {
				t.Errorf("parse: %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

func TestTamperedForgedAndExpiredTokensAreRefused(t *testing.T) {
	c := &clock{now: time.Now()}
	k := openKeys(t, testOptions(openStore(t), c))
	other := openKeys(t, testOptions(openStore(t), c)) // another deployment's keys
	token, _ := sign(t, k, c)
	foreign, _ := sign(t, other, c)
	parts := strings.Split(token, ".")
	payload := []byte(parts[1])
	payload[10] ^= 1
	otherIssuer := testOptions(openStore(t), c)
	otherIssuer.Issuer = "https://evil.example.com"
	wrongIss, _ := sign(t, openKeys(t, otherIssuer), c)
	for name, bad := range map[string]string{
		"payload changed":       parts[0] + "." + string(payload) + "." + parts[2],
		"signature of another":  parts[0] + "." + parts[1] + "." + strings.Split(foreign, ".")[2],
		"unknown key":           foreign,
		"alg none":              "eyJhbGciOiJub25lIn0." + parts[1] + ".",
		"no signature":          parts[0] + "." + parts[1] + ".",
		"garbage":               "eyJ.x.y",
		"issuer of another key": wrongIss,
	} {
		if _, err := k.ParseAccessToken(bad, c.Now()); miniauth.ErrorCode(err) != miniauth.EUnauthorized {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := k.ParseAccessToken(token, c.Now().Add(2*time.Hour)); miniauth.ErrorCode(err) != miniauth.EUnauthorized {
		t.Errorf("expired token: %v", err)
	}
}

func TestPrivateKeysAreSealedAtRest(t *testing.T) {
	c := &clock{now: time.Now()}
	st := openStore(t)
	openKeys(t, testOptions(st, c))
	keys, err := st.SigningKeys(context.Background())
	if err != nil || len(keys) != 1 {
		t.Fatalf("%v %v", keys, err)
	}
	if bytes.Contains(keys[0].PublicJWK, []byte(`"d"`)) {
		t.Error("the stored public JWK holds a private part")
	}
	wrong := testOptions(st, c)
	wrong.KeyEncryptionKey = bytes.Repeat([]byte{8}, jose.KeyEncryptionKeySize)
	if _, err := jose.Open(context.Background(), wrong); err == nil || !strings.Contains(err.Error(), "wrong key encryption key") {
		t.Errorf("opening with another key encryption key: %v", err)
	}
}

func TestParseKeyEncryptionKey(t *testing.T) {
	for s, ok := range map[string]bool{
		jose.NewKeyEncryptionKey():              true,
		strings.Repeat("ab", 32):                true,
		strings.Repeat("ab", 31):                false,
		"c2hvcnQ=":                              false,
		" " + jose.NewKeyEncryptionKey() + "\n": true,
	} {
		if _, err := jose.ParseKeyEncryptionKey(s); (err == nil) != ok {
			t.Errorf("%q: %v", s, err)
		}
	}
}
