package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"
)

// Cookies of the console. Both are HttpOnly and SameSite=Strict, scoped to
// the console's path.
const (
	sessionCookie = "miniauth_console"
	// signInCookie holds a random value before sign-in, so that the sign-in
	// form has a CSRF token too (login CSRF).
	signInCookie = "miniauth_signin"
	langCookie   = "miniauth_lang"
	csrfField    = "csrf"
)

// csrfToken is the form token that goes with a cookie's secret value:
// HMAC-SHA256 keyed by it. Every node can check it without a shared key,
// and a page of another site can neither read the cookie nor forge it.
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("miniauth console csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func validCSRF(secret, token string) bool {
	if secret == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(csrfToken(secret)), []byte(token))
}

func (h *Handler) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     Prefix,
		MaxAge:   int(maxAge / time.Second),
		HttpOnly: true,
		Secure:   h.opts.Secure,
		SameSite: http.SameSiteStrictMode,
	})
}

func (h *Handler) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true,
		Secure: h.opts.Secure, SameSite: http.SameSiteStrictMode})
}

func randomValue() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
