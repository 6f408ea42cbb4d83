// Package verifier lets a Go service behind miniauth check miniauth's
// access tokens itself: JWTs offline against miniauth's JWKS (cached,
// fetched again on an unknown kid, at most once per MinRefetch), and
// opaque tokens (or every token, with AlwaysIntrospect) by RFC 7662
// introspection. The identity goes into the request's context.
//
// An offline check accepts a JWT until its exp, even after a logout;
// introspection sees revocation within a second. Choose per route.
//
//	v, err := verifier.New(verifier.Options{
//		Issuer:              "https://auth.example.com", // miniauth's tokens.issuer
//		IntrospectionSecret: os.Getenv("MINIAUTH_INTROSPECTION_SECRET"), // optional: opaque tokens
//	})
//	if err != nil { ... }
//	mux.Handle("/orders/", v.Middleware(orders))
//
//	func orders(w http.ResponseWriter, r *http.Request) {
//		id, _ := verifier.FromContext(r.Context())
//		fmt.Fprintln(w, "hello", id.UserID, id.OpenID, id.AppID)
//	}
//
// With gin: r.Use(ginverifier.Middleware(v)), then ginverifier.Identity(c).
package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gojose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Defaults of Options.
const (
	DefaultMaxAge     = 10 * time.Minute // how long a fetched JWKS is used (miniauth's default max-age)
	DefaultMinRefetch = 10 * time.Second // floor between JWKS fetches for unknown kids
	DefaultTimeout    = 5 * time.Second
)

// ErrUnauthorized is returned for a token that is missing, malformed,
// forged, expired or (when introspected) revoked.
var ErrUnauthorized = errors.New("verifier: missing, malformed, expired or revoked token")

// Identity is who a valid token belongs to.
type Identity struct {
	UserID    string
	OpenID    string
	AppID     string
	SessionID string
	ExpiresAt time.Time
}

// Options configures a Verifier. Issuer is required.
type Options struct {
	Issuer           string // miniauth's tokens.issuer, e.g. https://auth.example.com
	JWKSURL          string // default Issuer + "/.well-known/jwks.json"
	IntrospectionURL string // default Issuer + "/api/v1/auth/introspect"
	// IntrospectionSecret is one of miniauth's tokens.introspection_secrets.
	// Without it only JWTs are accepted, offline.
	IntrospectionSecret string
	// AlwaysIntrospect asks miniauth about every token, JWTs too: a
	// revoked token is refused within a second, at one round trip.
	AlwaysIntrospect bool
	MaxAge           time.Duration // how long a fetched JWKS is trusted; default 10 minutes
	MinRefetch       time.Duration // floor between JWKS fetches; default 10 s
	HTTPClient       *http.Client  // default: a client with a 5 s timeout
	Now              func() time.Time
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	opts Options

	mu        sync.Mutex
	keys      gojose.JSONWebKeySet
	fetchedAt time.Time
}

// New returns a Verifier. It fetches nothing until the first token.
func New(opts Options) (*Verifier, error) {
	if opts.Issuer == "" {
		return nil, errors.New("verifier: Issuer is required")
	}
	opts.Issuer = strings.TrimSuffix(opts.Issuer, "/")
	if opts.JWKSURL == "" {
		opts.JWKSURL = opts.Issuer + "/.well-known/jwks.json"
	}
	if opts.IntrospectionURL == "" {
		opts.IntrospectionURL = opts.Issuer + "/api/v1/auth/introspect"
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.MinRefetch <= 0 {
		opts.MinRefetch = DefaultMinRefetch
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Verifier{opts: opts}, nil
}

// Verify checks token and returns its identity. Errors: ErrUnauthorized,
// or an error of reaching miniauth.
func (v *Verifier) Verify(ctx context.Context, token string) (*Identity, error) {
	isJWT := strings.Count(token, ".") == 2 && strings.HasPrefix(token, "eyJ")
	switch {
	case token == "":
		return nil, ErrUnauthorized
	case v.opts.IntrospectionSecret != "" && (v.opts.AlwaysIntrospect || !isJWT):
		return v.introspect(ctx, token)
	case isJWT:
		return v.verifyJWT(ctx, token)
	}
	return nil, ErrUnauthorized
}

type claims struct {
	jwt.Claims
	SessionID string `json:"sid"`
	AppID     string `json:"appid"`
	OpenID    string `json:"openid"`
}

func (v *Verifier) verifyJWT(ctx context.Context, token string) (*Identity, error) {
	tok, err := jwt.ParseSigned(token, []gojose.SignatureAlgorithm{gojose.EdDSA, gojose.ES256})
	if err != nil || len(tok.Headers) != 1 {
		return nil, ErrUnauthorized
	}
	key, err := v.key(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return nil, err
	}
	if key == nil || key.Algorithm != tok.Headers[0].Algorithm {
		return nil, ErrUnauthorized
	}
	var c claims
	if err := tok.Claims(key.Key, &c); err != nil {
		return nil, ErrUnauthorized
	}
	now := v.opts.Now()
	if c.Expiry == nil || !now.Before(c.Expiry.Time()) || c.Subject == "" ||
		c.Claims.ValidateWithLeeway(jwt.Expected{Issuer: v.opts.Issuer, Time: now}, 0) != nil {
		return nil, ErrUnauthorized
	}
	return &Identity{UserID: c.Subject, OpenID: c.OpenID, AppID: c.AppID, SessionID: c.SessionID, ExpiresAt: c.Expiry.Time()}, nil
}

// key returns the key kid from the cached JWKS, fetching it again when it
// is older than MaxAge, or when kid is unknown and the last fetch is at
// least MinRefetch old (so that garbage kids cannot make us hammer
// miniauth). nil: no such key.
func (v *Verifier) key(ctx context.Context, kid string) (*gojose.JSONWebKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.opts.Now()
	age := now.Sub(v.fetchedAt)
	found := v.keys.Key(kid)
	if v.fetchedAt.IsZero() || age >= v.opts.MaxAge || (len(found) == 0 && age >= v.opts.MinRefetch) {
		if err := v.fetchLocked(ctx, now); err != nil {
			if len(found) == 0 {
				return nil, err
			}
		}
		found = v.keys.Key(kid)
	}
	if len(found) != 1 {
		return nil, nil
	}
	return &found[0], nil
}

func (v *Verifier) fetchLocked(ctx context.Context, now time.Time) error {
	v.fetchedAt = now // a failed fetch waits for the floor too
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.opts.JWKSURL, nil)
	if err != nil {
		return err
	}
	resp, err := v.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("verifier: fetching the JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("verifier: fetching the JWKS: status %d", resp.StatusCode)
	}
	var set gojose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("verifier: decoding the JWKS: %w", err)
	}
	v.keys = set
	return nil
}

type introspection struct {
	Active bool   `json:"active"`
	Sub    string `json:"sub"`
	Sid    string `json:"sid"`
	AppID  string `json:"appid"`
	OpenID string `json:"openid"`
	Exp    int64  `json:"exp"`
}

func (v *Verifier) introspect(ctx context.Context, token string) (*Identity, error) {
	form := url.Values{"token": {token}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.opts.IntrospectionURL, strings.NewReader(form))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+v.opts.IntrospectionSecret)
	resp, err := v.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("verifier: introspection: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("verifier: introspection: status %d", resp.StatusCode)
	}
	var in introspection
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&in); err != nil {
		return nil, fmt.Errorf("verifier: introspection: %w", err)
	}
	if !in.Active {
		return nil, ErrUnauthorized
	}
	return &Identity{UserID: in.Sub, OpenID: in.OpenID, AppID: in.AppID, SessionID: in.Sid, ExpiresAt: time.Unix(in.Exp, 0)}, nil
}
