package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
	"github.com/prometheus/client_golang/prometheus"
)

// eventTimeLayout keeps the milliseconds the stores keep, so that a page's
// last time, sent back as before, misses nothing.
const eventTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// defaultLoginsPage is the page of GET /admin/v1/users/{id}/logins
// without limit.
const defaultLoginsPage = 50

type loginEventJSON struct {
	At        string `json:"at"`
	Kind      string `json:"kind"`
	UserID    string `json:"user_id"`
	AppID     string `json:"appid"`
	Platform  string `json:"platform"`
	Result    string `json:"result"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

type loginsPageJSON struct {
	Logins []loginEventJSON `json:"logins"`
	// NextBefore is the before of the next page; empty on the last one.
	NextBefore string `json:"next_before"`
}

// adminUserLogins answers a user's login history, newest first, a page at
// a time: ?before= (RFC 3339, exclusive) and ?limit=.
func (s *Server) adminUserLogins(c *gin.Context) {
	var before time.Time
	if raw, ok := c.GetQuery("before"); ok {
		t, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			s.fail(c, miniauth.Errorf(miniauth.EInvalidRequest, "before must be an RFC 3339 time"))
			return
		}
		before = t
	}
	limit, err := queryInt(c, "limit", defaultLoginsPage, 1, miniauth.MaxLoginEventsPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	events, err := s.svc.UserLogins(c.Request.Context(), c.Param("id"), before, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	page := loginsPageJSON{Logins: make([]loginEventJSON, 0, len(events))}
	for _, e := range events {
		page.Logins = append(page.Logins, loginEventJSON{
			At: e.At.UTC().Format(eventTimeLayout), Kind: e.Kind, UserID: e.UserID, AppID: e.AppID,
			Platform: e.Platform, Result: e.Result, IP: e.IP, UserAgent: e.UserAgent,
		})
	}
	if len(events) >= limit {
		page.NextBefore = page.Logins[len(page.Logins)-1].At
	}
	c.JSON(http.StatusOK, page)
}

// registerEventMetrics counts the login events and touches that were not
// recorded, and the verify cache's answers.
func registerEventMetrics(reg *prometheus.Registry, svc *miniauth.Service) {
	if svc == nil {
		return
	}
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "miniauth_login_events_dropped_total",
		Help: "Login events not recorded: the writer's queue was full, or the database refused their batch.",
	}, func() float64 { return float64(svc.LoginEventsDropped()) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "miniauth_session_touches_dropped_total",
		Help: "Sessions' last-use times not written: the writer's queue was full, or the store refused their batch.",
	}, func() float64 { return float64(svc.TouchesDropped()) }))
	lookups := func(result string, count func() uint64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "miniauth_verify_cache_lookups_total",
			Help:        "Access tokens looked up in this node's verify cache, by result: a miss asks the store.",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 { return float64(count()) }))
	}
	lookups("hit", func() uint64 { h, _, _ := svc.VerifyCacheStats(); return h })
	lookups("miss", func() uint64 { _, m, _ := svc.VerifyCacheStats(); return m })
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "miniauth_verify_sealed_total",
		Help: "Verifies answered from a sealed access token and the feed of session endings, without the session store.",
	}, func() float64 { n, _ := svc.SealedVerifyStats(); return float64(n) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "miniauth_session_endings_read_failures_total",
		Help: "Reads of the feed of session endings that failed; three intervals after the last good one, sealed tokens are verified through the store.",
	}, func() float64 { _, n := svc.SealedVerifyStats(); return float64(n) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "miniauth_verify_cache_resets_total",
		Help: "Times this node emptied its caches because changes may have been missed: a Redis reconnect, or another process's write to the SQLite file.",
	}, func() float64 { _, _, r := svc.VerifyCacheStats(); return float64(r) }))
}
