package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// exchange is one request's own state: its id, the error code it was
// answered with, its session once authenticated. It rides on the request's
// ResponseWriter (which observe wraps first thing), because gin's Keys map
// would cost an allocation per request and a map write per value.
type exchange struct {
	gin.ResponseWriter
	requestID string
	errorCode string
	session   *miniauth.Session
}

// exchangeOf is the request's exchange; every route runs observe first,
// so it is never nil inside a handler.
func exchangeOf(c *gin.Context) *exchange {
	ex, _ := c.Writer.(*exchange)
	if ex == nil {
		return &exchange{ResponseWriter: c.Writer} // not observed: state goes nowhere
	}
	return ex
}

func requestIDOf(c *gin.Context) string { return exchangeOf(c).requestID }

func setErrorCode(c *gin.Context, code string) { exchangeOf(c).errorCode = code }

// requestIDs are a random per-process prefix and a counter: unique, cheap,
// and they reveal nothing.
var (
	requestIDPrefix = func() string {
		var b [6]byte
		rand.Read(b[:])
		return hex.EncodeToString(b[:]) + "-"
	}()
	requestCounter atomic.Uint64
)

// requestIDFor takes the caller's X-Request-Id when it is a sane one (so
// that a gateway's id follows the request), or makes one.
func requestIDFor(r *http.Request) string {
	if v := r.Header["X-Request-Id"]; len(v) > 0 && saneRequestID(v[0]) {
		return v[0]
	}
	var b [32]byte
	id := append(b[:0], requestIDPrefix...)
	id = strconv.AppendUint(id, requestCounter.Add(1), 36)
	return string(id)
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return false
		}
	}
	return true
}

// observe gives the request its id (answered in X-Request-Id), then records
// its metrics and hands its access log line to the log's writer. Labels are
// bounded: the route template (never the path), a known method, the status.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	ex := &exchange{ResponseWriter: c.Writer, requestID: requestIDFor(c.Request)}
	c.Writer = ex
	ex.Header()["X-Request-Id"] = []string{ex.requestID}
	c.Next()
	elapsed := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	method := knownMethod(c.Request.Method)
	status := ex.Status()
	s.metrics.observeRequest(method, route, status, elapsed)
	if !s.access.enabled(status) {
		return
	}
	s.access.log(&accessRecord{
		at:         start.Add(elapsed),
		requestID:  ex.requestID,
		method:     method,
		route:      route,
		ip:         c.ClientIP(),
		errorCode:  ex.errorCode,
		elapsed:    elapsed,
		status:     status,
		bytes:      ex.Size(),
		serverSide: status >= 500,
	})
}

func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
