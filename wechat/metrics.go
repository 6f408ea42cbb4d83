package wechat

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	calls          *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	tokenRefreshes *prometheus.CounterVec
	tokenErrors    *prometheus.CounterVec
	tokenAge       *ageCollector
}

func newMetrics(reg prometheus.Registerer, now func() time.Time) *metrics {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "miniauth_wechat_calls_total",
			Help: `Calls to WeChat by endpoint and errcode ("0" success; "timeout", "http_error", "bad_json" for transport failures).`,
		}, []string{"endpoint", "errcode"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "miniauth_wechat_call_duration_seconds",
			Help:    "Duration of calls to WeChat by endpoint.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint"}),
		tokenRefreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "miniauth_wechat_access_token_refreshes_total",
			Help: "Access tokens fetched from WeChat by this node, by kind (regular or forced).",
		}, []string{"appid", "kind"}),
		tokenErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "miniauth_wechat_access_token_errors_total",
			Help: "Failures to get or refresh an access token.",
		}, []string{"appid"}),
		tokenAge: &ageCollector{
			desc: prometheus.NewDesc("miniauth_wechat_access_token_age_seconds",
				"Age of the access token this node uses, since it was fetched from WeChat.", []string{"appid"}, nil),
			now:     now,
			fetched: map[string]time.Time{},
		},
	}
	if reg == nil {
		return m
	}
	m.calls = register(reg, m.calls)
	m.duration = register(reg, m.duration)
	m.tokenRefreshes = register(reg, m.tokenRefreshes)
	m.tokenErrors = register(reg, m.tokenErrors)
	// The age is computed at scrape time, so it cannot be shared with another
	// Client on the same registry: the first one registered reports it.
	_ = reg.Register(m.tokenAge)
	return m
}

// register registers c, or returns the collector already registered under
// the same name, so that several Clients can share one registry.
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

// ageCollector reports, for each app, how long ago the token in use was
// fetched. It computes the age when scraped, so that it keeps growing while
// no call touches the token.
type ageCollector struct {
	desc *prometheus.Desc
	now  func() time.Time

	mu      sync.Mutex
	fetched map[string]time.Time
}

func (a *ageCollector) set(appID string, fetchedAt time.Time) {
	a.mu.Lock()
	a.fetched[appID] = fetchedAt
	a.mu.Unlock()
}

func (a *ageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- a.desc }

func (a *ageCollector) Collect(ch chan<- prometheus.Metric) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for app, at := range a.fetched {
		if at.IsZero() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(a.desc, prometheus.GaugeValue, now.Sub(at).Seconds(), app)
	}
}
