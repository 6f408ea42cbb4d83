package loadtest

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// BareBanner starts the line on which the bare route says its URL.
const BareBanner = "bare gin route listening on "

// BarePath is the bare route.
const BarePath = "/bare"

// BareHandler is the yardstick of the bench: one gin route answering a
// small JSON object, without middleware, the most that gin on this machine
// can do. miniauth's routes are measured as fractions of it.
func BareHandler() http.Handler {
	gin.SetMode(gin.ReleaseMode) // gin's mode is process-wide; this process serves only the bare route
	r := gin.New()
	r.GET(BarePath, func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	return r
}
