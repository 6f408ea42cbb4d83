package platforms

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newMetrics registers the metrics on reg, or finds them there when another
// Provider registered them first: every app's Provider shares them.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "miniauth_platform_calls_total",
			Help: `Login code exchanges with the platforms other than WeChat, by platform, endpoint, configured appid and result ("ok"; the platform's documented error code, else "other"; "timeout", "http_error", "bad_json", "bad_signature").`,
		}, []string{"platform", "endpoint", "appid", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "miniauth_platform_call_duration_seconds",
			Help:    "Duration of login code exchanges with the platforms other than WeChat.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"platform", "endpoint"}),
	}
	if reg == nil {
		return m
	}
	m.calls = register(reg, m.calls)
	m.duration = register(reg, m.duration)
	return m
}

func (m *metrics) observe(platform, endpoint, appID, label string, latency time.Duration) {
	m.calls.WithLabelValues(platform, endpoint, appID, label).Inc()
	m.duration.WithLabelValues(platform, endpoint).Observe(latency.Seconds())
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}
