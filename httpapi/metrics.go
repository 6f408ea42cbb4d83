package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics of the HTTP API. Every label is bounded: route templates, known
// methods, statuses, results named by error code. Never ids or paths.
type metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	logins    *prometheus.CounterVec
	refreshes *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "miniauth_http_requests_total",
			Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "miniauth_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route template.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "miniauth_logins_total",
			Help: "Logins by result: ok, or the error code.",
		}, []string{"result"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "miniauth_refreshes_total",
			Help: "Token refreshes by result: ok, or the error code.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.requests, m.durations, m.logins, m.refreshes)
	// Several servers may share a registry in tests; the runtime collectors
	// are registered once per registry.
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			if _, dup := err.(prometheus.AlreadyRegisteredError); !dup {
				panic(err)
			}
		}
	}
	return m
}

var statusText = func() [600]string {
	var t [600]string
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

func (m *metrics) observeRequest(method, route string, status int, elapsed time.Duration) {
	st := "other"
	if status >= 0 && status < len(statusText) {
		st = statusText[status]
	}
	m.requests.WithLabelValues(method, route, st).Inc()
	m.durations.WithLabelValues(method, route).Observe(elapsed.Seconds())
}

// result is the label of a login or refresh outcome.
func result(code string) string {
	if code == "" {
		return "ok"
	}
	return code
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
}
