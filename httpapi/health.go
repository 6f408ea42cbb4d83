package httpapi

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// healthzBody is what healthz answers, encoded once.
var healthzBody = []byte(`{"status":"ok"}`)

func (s *Server) healthz(c *gin.Context) {
	c.Data(http.StatusOK, jsonContentType[0], healthzBody)
}

// readyz asks every store at once and answers 503 naming the failing ones.
func (s *Server) readyz(c *gin.Context) {
	results := make(map[string]string, len(s.opts.Checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, check := range s.opts.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(c.Request.Context(), s.opts.ReadyTimeout)
			defer cancel()
			status := "ok"
			if err := check.Ping(ctx); err != nil {
				status = "unavailable: " + miniauth.ErrorMessage(err)
			}
			mu.Lock()
			results[check.Name] = status
			mu.Unlock()
		}()
	}
	wg.Wait()

	var failing []string
	for _, check := range s.opts.Checks {
		if results[check.Name] != "ok" {
			failing = append(failing, check.Name)
		}
	}
	if len(failing) == 0 {
		c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": results})
		return
	}
	code := miniauth.EUpstreamUnavailable
	setErrorCode(c, code)
	c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{
		"error": errorDetail{
			Code:      code,
			Message:   "not ready: " + strings.Join(failing, ", ") + " not answering",
			RequestID: requestIDOf(c),
		},
		"checks": results,
	})
}
