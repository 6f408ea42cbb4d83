package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/miniauth/miniauth/console"
)

// consoleRoutes mounts the operators' console. It gets the API's request
// ids, logs, metrics, body limit and input checks; the client IP is gin's
// (trusted proxies applied), passed on in the request's context.
func (s *Server) consoleRoutes(g gin.IRoutes, h http.Handler) {
	serve := func(c *gin.Context) {
		r := c.Request.WithContext(console.WithClientIP(c.Request.Context(), c.ClientIP()))
		h.ServeHTTP(c.Writer, r)
	}
	for _, rt := range console.Routes() {
		if rt.Method == http.MethodGet {
			getAndHead(g, rt.Path, serve)
			continue
		}
		g.Handle(rt.Method, rt.Path, serve)
	}
}

// StatusOf is the HTTP status of an error code, from the one table.
func StatusOf(code string) int {
	if status, ok := statusOf[code]; ok {
		return status
	}
	return http.StatusInternalServerError
}
