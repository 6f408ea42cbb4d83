package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// introspectionAnswer is RFC 7662's answer; an inactive token carries
// "active": false alone.
type introspectionAnswer struct {
	Active    bool   `json:"active"`
	Subject   string `json:"sub,omitempty"`
	SessionID string `json:"sid,omitempty"`
	AppID     string `json:"appid,omitempty"`
	OpenID    string `json:"openid,omitempty"`
	IssuedAt  int64  `json:"iat,omitempty"`
	ExpiresAt int64  `json:"exp,omitempty"`
	Issuer    string `json:"iss,omitempty"`
	TokenType string `json:"token_type,omitempty"`
}

// introspect answers RFC 7662 introspection (form body token=...) for
// callers that present one of the introspection secrets.
func (s *Server) introspect(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if !s.introspectionCaller(c.GetHeader("Authorization")) {
		s.fail(c, miniauth.Errorf(miniauth.EUnauthorized, "missing or wrong introspection secret"))
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		if isTooLarge(err) {
			s.fail(c, tooLarge(s.opts.BodyLimit))
			return
		}
		s.fail(c, miniauth.Errorf(miniauth.EInvalidRequest, "the body must be a form: token=..."))
		return
	}
	token := c.Request.PostForm.Get("token")
	if token == "" {
		s.fail(c, miniauth.Errorf(miniauth.EInvalidRequest, "token is required (form body token=...)"))
		return
	}
	in, err := s.svc.Introspect(c.Request.Context(), token)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !in.Active {
		c.JSON(http.StatusOK, introspectionAnswer{})
		return
	}
	c.JSON(http.StatusOK, introspectionAnswer{
		Active:    true,
		Subject:   in.Session.UserID,
		SessionID: in.Session.ID,
		AppID:     in.Session.AppID,
		OpenID:    in.Session.OpenID,
		IssuedAt:  in.IssuedAt.Unix(),
		ExpiresAt: in.ExpiresAt.Unix(),
		Issuer:    in.Issuer,
		TokenType: "access_token",
	})
}

// introspectionCaller reports whether the Authorization header carries one
// of the secrets. Every secret is compared, each in constant time over
// SHA-256 digests (equal lengths), so that the answer's timing tells
// neither which secret nor how much of one matched.
func (s *Server) introspectionCaller(header string) bool {
	token, ok := bearer(header)
	if !ok {
		return false
	}
	presented := sha256.Sum256([]byte(token))
	match := 0
	for _, secret := range s.opts.IntrospectionSecrets {
		want := sha256.Sum256([]byte(secret))
		match |= subtle.ConstantTimeCompare(presented[:], want[:])
	}
	return match == 1
}
