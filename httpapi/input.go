package httpapi

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// checkInput refuses request data that cannot be ours before any handler
// sees it, so that no store is ever handed bytes it refuses (PostgreSQL and
// MySQL answer invalid UTF-8 and NUL with an error, which was a 500):
//
//   - a path parameter that is not clean text, or an :id that is not of the
//     form of our ids (miniauth.ValidID), answers 404 not_found: no object
//     has that name;
//   - a query key or value that is not clean text answers 400
//     invalid_request.
//
// Routes name a parameter :id only when it holds one of our ids. Clean text
// is valid UTF-8 without NUL. Headers are left to those who read
// them: the User-Agent is stored repaired by the service, a bad bearer token
// is unauthorized, a bad X-Request-Id is replaced.
func (s *Server) checkInput(c *gin.Context) {
	for _, p := range c.Params {
		if !isCleanText(p.Value) || p.Key == "id" && !miniauth.ValidID(p.Value) {
			s.fail(c, miniauth.Errorf(miniauth.ENotFound, "no object with this %s", p.Key))
			return
		}
	}
	if raw := c.Request.URL.RawQuery; raw != "" {
		if err := checkQuery(raw); err != nil {
			s.fail(c, err)
			return
		}
	}
	c.Next()
}

func checkQuery(raw string) error {
	// Pairs that do not parse (a bad escape, a semicolon) are dropped by
	// every reader of the query alike, so they are left alone here.
	query, _ := url.ParseQuery(raw)
	for key, values := range query {
		if !isCleanText(key) {
			return miniauth.Errorf(miniauth.EInvalidRequest, "a query parameter name is not valid UTF-8 text")
		}
		for _, v := range values {
			if !isCleanText(v) {
				return miniauth.Errorf(miniauth.EInvalidRequest, "query parameter %s is not valid UTF-8 text", key)
			}
		}
	}
	return nil
}

// isCleanText reports whether s is valid UTF-8 without NUL bytes.
func isCleanText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}
