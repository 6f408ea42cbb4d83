package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// Keys of values handlers leave in the gin context.
const (
	ctxRequestID = "miniauth.request_id"
	ctxSession   = "miniauth.session"
	ctxErrorCode = "miniauth.error_code"
)

// requestIDs are a random per-process prefix and a counter: unique, cheap,
// and they reveal nothing.
var (
	requestIDPrefix = func() string {
		var b [6]byte
		rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}()
	requestCounter atomic.Uint64
)

// requestID takes the caller's X-Request-Id when it is a sane one (so that a
// gateway's id follows the request), or makes one, and answers it.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if !saneRequestID(id) {
		id = requestIDPrefix + "-" + strconv.FormatUint(requestCounter.Add(1), 36)
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return false
		}
	}
	return true
}

func requestIDOf(c *gin.Context) string { return c.GetString(ctxRequestID) }

// observe records metrics and writes one access log line per request. Labels
// are bounded: the route template (never the path), a known method, the status.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	method := knownMethod(c.Request.Method)
	status := c.Writer.Status()
	s.metrics.observeRequest(method, route, status, elapsed)

	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	if !s.log.Enabled(c.Request.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", requestIDOf(c)),
		slog.String("method", method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		slog.String("ip", c.ClientIP()),
		slog.Int("bytes", c.Writer.Size()),
	}
	if code := c.GetString(ctxErrorCode); code != "" {
		attrs = append(attrs, slog.String("error_code", code))
	}
	s.log.LogAttrs(c.Request.Context(), level, "request", attrs...)
}

func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

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
	c.Set(ctxSession, session)
	c.Next()
}

func sessionOf(c *gin.Context) *miniauth.Session {
	return c.MustGet(ctxSession).(*miniauth.Session)
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
