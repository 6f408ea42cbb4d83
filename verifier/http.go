package verifier

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

type contextKey struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, contextKey{}, id)
}

// FromContext returns the identity that Middleware put in ctx.
func FromContext(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(contextKey{}).(*Identity)
	return id, ok
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(h[7:])
}

// Authenticate verifies the request's bearer token and returns the request
// with the identity in its context. Errors: ErrUnauthorized, or an error
// of reaching miniauth.
func (v *Verifier) Authenticate(r *http.Request) (*http.Request, *Identity, error) {
	id, err := v.Verify(r.Context(), BearerToken(r))
	if err != nil {
		return r, nil, err
	}
	return r.WithContext(NewContext(r.Context(), id)), id, nil
}

// Middleware passes requests with a valid token on to next, the identity
// in their context; it answers others 401 (503 when miniauth cannot be
// reached), in miniauth's error shape.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, _, err := v.Authenticate(r)
		if err != nil {
			status, body := Refusal(err)
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="miniauth"`)
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(status)
			w.Write(body)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Refusal is the status and JSON body that answer a failed Authenticate.
func Refusal(err error) (int, []byte) {
	if errors.Is(err, ErrUnauthorized) {
		return http.StatusUnauthorized, []byte(`{"error":{"code":"unauthorized","message":"missing, malformed, expired or revoked token"}}`)
	}
	return http.StatusServiceUnavailable, []byte(`{"error":{"code":"upstream_unavailable","message":"cannot reach miniauth"}}`)
}
