package httpapi

import (
	"embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// The scan-to-log-in demo page, served in dev mode only: HTML, CSS and
// script embedded in the binary, nothing from a CDN, and a content
// security policy that allows only this origin's files (no inline script
// or style, no other host).

//go:embed demo/web-login.html demo/web-login.js demo/web-login.css
var demoFiles embed.FS

const demoCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (s *Server) demoRoutes(g gin.IRoutes) {
	getAndHead(g, "/_demo/web-login", demoFile("demo/web-login.html", "text/html; charset=utf-8"))
	getAndHead(g, "/_demo/web-login.js", demoFile("demo/web-login.js", "text/javascript; charset=utf-8"))
	getAndHead(g, "/_demo/web-login.css", demoFile("demo/web-login.css", "text/css; charset=utf-8"))
}

func demoFile(name, contentType string) gin.HandlerFunc {
	b, err := demoFiles.ReadFile(name)
	if err != nil {
		panic("httpapi: embedded demo file missing: " + name) // the go:embed line lists it
	}
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", demoCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		c.Data(http.StatusOK, contentType, b)
	}
}
