package httpapi

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// recover turns a panic into an `internal` answer; the server stays up.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p) // the client went away; net/http handles this one
			}
			s.fail(c, miniauth.WrapError(miniauth.EInternal, "internal error", fmt.Errorf("panic: %v", p)))
		}
	}()
	c.Next()
}

// limitBody refuses bodies over the route's limit: at once when
// Content-Length says so, otherwise when reading passes it.
func (s *Server) limitBody(c *gin.Context) {
	limit := s.bodyLimitOf(c.FullPath())
	if c.Request.ContentLength > limit {
		c.Header("Connection", "close")
		s.fail(c, tooLarge(limit))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

func tooLarge(limit int64) error {
	return miniauth.Errorf(miniauth.EPayloadTooLarge, "request body is larger than %d bytes", limit)
}

// rateLimit applies the per-IP limit of login and refresh.
func (s *Server) rateLimit(c *gin.Context) {
	if s.limiter != nil && !s.limiter.allow(c.ClientIP()) {
		c.Header("Retry-After", "1")
		s.fail(c, miniauth.Errorf(miniauth.ERateLimited, "too many requests; slow down"))
		return
	}
	c.Next()
}

// authenticate requires a valid access token and leaves its session in the
// context.
func (s *Server) authenticate(c *gin.Context) {
	token, err := bearerOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	session, err := s.svc.Verify(c.Request.Context(), token)
	if err != nil {
		s.fail(c, err)
		return
	}
	exchangeOf(c).session = session
	c.Next()
}

// sessionOf is the session authenticate found; routes that take it run
// authenticate first.
func sessionOf(c *gin.Context) *miniauth.Session {
	return exchangeOf(c).session
}

// authenticateAdmin requires the configured admin token.
func (s *Server) authenticateAdmin(c *gin.Context) {
	token, err := bearerOf(c)
	if err != nil || subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.AdminToken)) != 1 {
		s.fail(c, miniauth.Errorf(miniauth.EUnauthorized, "missing or wrong admin token"))
		return
	}
	c.Next()
}

// bearerOf is the request's bearer token. A request with several
// Authorization headers has none: which one counts would depend on who reads
// it (a gateway may check the last while we took the first).
func bearerOf(c *gin.Context) (string, error) {
	values := c.Request.Header["Authorization"]
	if len(values) > 1 {
		return "", errSeveralAuthorizations
	}
	if len(values) == 1 {
		if token, ok := bearer(values[0]); ok {
			return token, nil
		}
	}
	return "", errNoBearer
}

var (
	errNoBearer              = miniauth.Errorf(miniauth.EUnauthorized, "missing bearer token")
	errSeveralAuthorizations = miniauth.Errorf(miniauth.EUnauthorized, "several Authorization headers; send one")
)

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(header string) (string, bool) {
	const scheme = "bearer "
	if len(header) <= len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme) {
		return "", false
	}
	token := strings.TrimSpace(header[len(scheme):])
	return token, token != ""
}

// errEmptyBody is returned by bindJSON for a request without a body.
var errEmptyBody = miniauth.Errorf(miniauth.EInvalidRequest, "request body is empty; expected a JSON object")

// isTooLarge reports whether err comes from reading past the body limit.
func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
