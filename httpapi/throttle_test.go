package httpapi

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// Retry-After comes from the error, in whole seconds rounded up, in the one
// place errors are written; throttled answers are counted by route and limit.
func TestRetryAfterComesFromTheError(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		err        error
		retryAfter string
		limit      string
	}{
		{"ip", &miniauth.Error{Code: miniauth.ERateLimited, Message: "m", Err: miniauth.ErrThrottledIP, RetryAfter: 90 * time.Second}, "90", "ip"},
		{"openid", fmt.Errorf("wrapped: %w", &miniauth.Error{Code: miniauth.ERateLimited, Message: "m", Err: miniauth.ErrThrottledOpenID, RetryAfter: 1500 * time.Millisecond}), "2", "openid"},
		{"under a second", &miniauth.Error{Code: miniauth.ERateLimited, Message: "m", RetryAfter: time.Nanosecond}, "1", ""},
		{"none", miniauth.Errorf(miniauth.ERateLimited, "wechat says 45011"), "", ""},
		{"not a limit", miniauth.Errorf(miniauth.EInvalidCode, "bad"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			route := "/fail/" + strings.ReplaceAll(tt.name, " ", "-")
			s.engine.POST(route, func(c *gin.Context) { s.fail(c, tt.err) })
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest("POST", route, nil))
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			metrics := httptest.NewRecorder()
			s.ServeHTTP(metrics, httptest.NewRequest("GET", "/metrics", nil))
			for _, limit := range []string{"ip", "openid"} {
				line := fmt.Sprintf(`miniauth_throttled_total{limit=%q,route=%q} 1`, limit, route)
				if got := strings.Contains(metrics.Body.String(), line); got != (limit == tt.limit) {
					t.Errorf("%s in the metrics: %v", line, got)
				}
			}
		})
	}
}
