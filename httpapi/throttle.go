package httpapi

import (
	"errors"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
	"github.com/prometheus/client_golang/prometheus"
)

// throttleMetrics count the logins and refreshes refused by the failure
// limits (miniauth.ThrottleLimits), by route template and limit ("ip" or
// "openid"), and the failure counter's errors, during which the limits let
// requests through.
type throttleMetrics struct {
	throttled *prometheus.CounterVec
}

func newThrottleMetrics(reg *prometheus.Registry, svc *miniauth.Service) *throttleMetrics {
	m := &throttleMetrics{
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "miniauth_throttled_total",
			Help: "Logins and refreshes refused for too many failures, by route template and limit (ip, openid).",
		}, []string{"route", "limit"}),
	}
	reg.MustRegister(m.throttled)
	if svc != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "miniauth_throttle_counter_errors_total",
			Help: "Failed calls to the failure counter (Redis); the limits let those requests through.",
		}, func() float64 { return float64(svc.ThrottleCounterErrors()) }))
	}
	return m
}

// throttleLimitOf names the limit that refused a request, "" when none did.
func throttleLimitOf(err error) string {
	switch {
	case errors.Is(err, miniauth.ErrThrottledIP):
		return "ip"
	case errors.Is(err, miniauth.ErrThrottledOpenID):
		return "openid"
	}
	return ""
}

// answerRetryAfter sets Retry-After from the error, in whole seconds
// (rounded up, at least 1), and counts a throttled request.
func (s *Server) answerRetryAfter(c *gin.Context, err error) {
	wait := miniauth.RetryAfterOf(err)
	if wait <= 0 {
		return
	}
	seconds := max(int64((wait+time.Second-1)/time.Second), 1)
	c.Header("Retry-After", strconv.FormatInt(seconds, 10))
	if limit := throttleLimitOf(err); limit != "" {
		s.throttleMetrics.throttled.WithLabelValues(c.FullPath(), limit).Inc()
	}
}
