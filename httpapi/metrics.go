package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
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
	// accessLogDropped counts access log lines dropped on a full queue.
	accessLogDropped prometheus.Counter

	// children are the series of requests, resolved once per method, route
	// and status: a request then costs a lookup in a map that is only
	// read (copied on the rare write), instead of WithLabelValues' hashing,
	// label checks and locks.
	children   atomic.Pointer[map[requestKey]*requestSeries]
	childrenMu sync.Mutex // serializes the copies
}

type requestKey struct {
	method, route string
	status        int
}

type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
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
		accessLogDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "miniauth_access_log_dropped_total",
			Help: "Access log lines dropped because the log's writer fell behind.",
		}),
	}
	m.children.Store(&map[requestKey]*requestSeries{})
	reg.MustRegister(m.requests, m.durations, m.logins, m.refreshes, m.accessLogDropped)
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
	k := requestKey{method, route, status}
	series, ok := (*m.children.Load())[k]
	if !ok {
		series = m.resolve(k)
	}
	series.count.Inc()
	series.duration.Observe(elapsed.Seconds())
}

// resolve adds the series of k to the children. The keys are bounded
// (route templates, known methods, statuses), so the copies stop soon.
func (m *metrics) resolve(k requestKey) *requestSeries {
	m.childrenMu.Lock()
	defer m.childrenMu.Unlock()
	old := *m.children.Load()
	if series, ok := old[k]; ok {
		return series
	}
	st := "other"
	if k.status >= 0 && k.status < len(statusText) {
		st = statusText[k.status]
	}
	series := &requestSeries{
		count:    m.requests.WithLabelValues(k.method, k.route, st),
		duration: m.durations.WithLabelValues(k.method, k.route),
	}
	next := make(map[requestKey]*requestSeries, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[k] = series
	m.children.Store(&next)
	return series
}

// countAndFail counts a call's outcome in counter, labelled by result, and
// answers its error if it failed. It reports whether it answered one.
func (s *Server) countAndFail(c *gin.Context, counter *prometheus.CounterVec, err error) bool {
	counter.WithLabelValues(result(miniauth.ErrorCode(err))).Inc()
	if err != nil {
		s.fail(c, err)
		return true
	}
	return false
}

// result is the label of a login or refresh outcome: "ok", or the error's
// code.
func result(code string) string {
	if code == "" {
		return "ok"
	}
	return code
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
}
