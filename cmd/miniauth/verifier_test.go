package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/miniauth/miniauth/verifier"
	"github.com/miniauth/miniauth/verifier/ginverifier"
)

// countingTransport counts the JWKS fetches a verifier makes.
type countingTransport struct{ jwks atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/jwks.json") {
		c.jwks.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestVerifierPackageAgainstANode(t *testing.T) {
	t.Parallel()
	n := startTestNode(t, jwtEnv()...)
	rt := &countingTransport{}
	client := &http.Client{Transport: rt, Timeout: 5 * time.Second}
	offline, err := verifier.New(verifier.Options{Issuer: n.URL, HTTPClient: client, MinRefetch: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	online, _ := verifier.New(verifier.Options{Issuer: n.URL, IntrospectionSecret: introspectionSecrets[0], AlwaysIntrospect: true})
	ctx := context.Background()
	a := n.login(t, "")

	for range 3 {
		id, err := offline.Verify(ctx, a.AccessToken)
		if err != nil || id.UserID != a.User.ID || id.OpenID != a.User.OpenID || id.AppID == "" || id.SessionID == "" {
			t.Fatalf("offline: %+v, %v", id, err)
		}
	}
	// Past the floor, an unknown kid fetches again once, then waits for
	// the floor again.
	time.Sleep(1100 * time.Millisecond)
	parts := strings.Split(a.AccessToken, ".")
	unknownKid := "eyJhbGciOiJFZERTQSIsImtpZCI6Im5vcGUifQ." + parts[1] + "." + parts[2]
	for range 3 {
		if _, err := offline.Verify(ctx, unknownKid); !errors.Is(err, verifier.ErrUnauthorized) {
			t.Errorf("unknown kid: %v", err)
		}
	}
	if got := rt.jwks.Load(); got != 2 {
		t.Errorf("%d JWKS fetches; want 1, and 1 more for the unknown kid", got)
	}
	if id, err := online.Verify(ctx, a.AccessToken); err != nil || id.UserID != a.User.ID {
		t.Fatalf("introspected: %+v, %v", id, err)
	}

	// net/http and gin put the identity in the context.
	seen := make(chan string, 2)
	mux := online.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := verifier.FromContext(r.Context())
		seen <- id.UserID
	}))
	engine := gin.New()
	engine.Use(ginverifier.Middleware(online))
	engine.GET("/orders", func(c *gin.Context) {
		id, _ := ginverifier.Identity(c)
		fromReq, _ := verifier.FromContext(c.Request.Context())
		if fromReq != id {
			t.Error("gin: the request's context lacks the identity")
		}
		seen <- id.OpenID
	})
	for _, h := range []http.Handler{mux, engine} {
		w := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/orders", nil)
		if h.ServeHTTP(w, req); w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("no token: %d", w.Code)
		}
		req.Header.Set("Authorization", "Bearer "+a.AccessToken)
		w = httptest.NewRecorder()
		if h.ServeHTTP(w, req); w.Code != 200 {
			t.Errorf("valid token: %d %s", w.Code, w.Body)
		}
	}
	if got := []string{<-seen, <-seen}; got[0] != a.User.ID || got[1] != a.User.OpenID {
		t.Errorf("handlers saw %v", got)
	}

	// After logout introspection refuses at once; an offline check cannot
	// know before exp.
	call(t, "POST", n.URL+"/api/v1/auth/logout", a.AccessToken, nil)
	if _, err := online.Verify(ctx, a.AccessToken); !errors.Is(err, verifier.ErrUnauthorized) {
		t.Errorf("introspected after logout: %v", err)
	}
	if _, err := offline.Verify(ctx, a.AccessToken); err != nil {
		t.Errorf("offline after logout (accepted until exp by design): %v", err)
	}
	opaque := startTestNode(t)
	b := opaque.login(t, "")
	fallback, _ := verifier.New(verifier.Options{Issuer: opaque.URL, IntrospectionSecret: "any"})
	if _, err := fallback.Verify(ctx, b.AccessToken); err == nil || errors.Is(err, verifier.ErrUnauthorized) {
		t.Errorf("introspection with a secret the node does not know: %v (want a 401 from miniauth, not inactive)", err)
	}
}
