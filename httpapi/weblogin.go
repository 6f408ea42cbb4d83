package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// Scan to log in on the web: the page's side (start, code image, poll) and
// the mini program's (scan, confirm, deny, with its session's Bearer).

// webLoginRoutes adds the routes under /api/v1. Every answer, errors too,
// carries Cache-Control: no-store: a poll may carry tokens, and a ticket's
// status changes under the same URL.
func (s *Server) webLoginRoutes(v1 gin.IRoutes) {
	v1.POST("/web-login", noStore, s.limitWebLogins, s.startWebLogin)
	getAndHead(v1, "/web-login/:ticket", noStore, s.pollWebLogin)
	getAndHead(v1, "/web-login/:ticket/qrcode.png", noStore, s.webLoginCode)
	v1.POST("/web-login/:ticket/scan", noStore, s.authenticate, s.advanceWebLogin((*miniauth.Service).ScanWebLogin))
	v1.POST("/web-login/:ticket/confirm", noStore, s.authenticate, s.advanceWebLogin((*miniauth.Service).ConfirmWebLogin))
	v1.POST("/web-login/:ticket/deny", noStore, s.authenticate, s.advanceWebLogin((*miniauth.Service).DenyWebLogin))
}

type webLoginRequest struct {
	AppID string `json:"appid"`
}

type webLoginStartResponse struct {
	Ticket    string `json:"ticket"`
	ExpiresIn int64  `json:"expires_in"`
	QRCodeURL string `json:"qrcode_url"`
}

// webLoginPollResponse is {"status"} and, for the poll that claimed them,
// the tokens and user as a login answers them.
type webLoginPollResponse struct {
	Status string `json:"status"`
	*tokenResponse
}

// limitWebLogins applies the per-IP limit of ticket creation: each ticket
// costs a store write and, once shown, a call to WeChat.
func (s *Server) limitWebLogins(c *gin.Context) {
	if s.webLoginLimiter != nil && !s.webLoginLimiter.allow(c.ClientIP()) {
		c.Header("Retry-After", "1")
		s.fail(c, miniauth.Errorf(miniauth.ERateLimited, "too many web login tickets from this address; slow down"))
		return
	}
	c.Next()
}

func (s *Server) startWebLogin(c *gin.Context) {
	var req webLoginRequest
	// The body is optional: no body, or {}, is the default app.
	if c.Request.ContentLength != 0 {
		if err := s.bindJSON(c, &req); err != nil && err != errEmptyBody {
			s.fail(c, err)
			return
		}
	}
	start, err := s.svc.StartWebLogin(c.Request.Context(), req.AppID, c.ClientIP())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, webLoginStartResponse{
		Ticket:    start.Ticket,
		ExpiresIn: int64(s.svc.WebLoginTTL() / time.Second),
		QRCodeURL: strings.TrimSuffix(s.opts.Issuer, "/") + "/api/v1/web-login/" + start.Ticket + "/qrcode.png",
	})
}

func (s *Server) webLoginCode(c *gin.Context) {
	img, err := s.svc.WebLoginCode(c.Request.Context(), c.Param("ticket"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, img.ContentType, img.Data)
}

func (s *Server) pollWebLogin(c *gin.Context) {
	wait, err := parseWait(c.Query("wait"))
	if err != nil {
		s.fail(c, err)
		return
	}
	poll, err := s.svc.PollWebLogin(c.Request.Context(), miniauth.WebLoginPollRequest{
		Ticket:    c.Param("ticket"),
		Wait:      wait,
		UserAgent: c.Request.UserAgent(),
		IP:        c.ClientIP(),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	resp := webLoginPollResponse{Status: poll.Status}
	if poll.Result != nil {
		tr := tokenResponseOf(poll.Result, false).at(c)
		resp.tokenResponse = &tr
	}
	c.JSON(http.StatusOK, resp)
}

// maxWaitParam bounds what ?wait= may say before the service's cap applies.
const maxWaitParam = time.Hour

// parseWait reads ?wait=: a Go duration ("25s", "1500ms") or whole seconds
// ("25"); none is 0, an answer at once. Longer than the configured maximum
// waits that maximum.
func parseWait(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.Atoi(v)
		if nerr != nil {
			return 0, miniauth.Errorf(miniauth.EInvalidRequest, "wait must be a duration such as 25s")
		}
		d = time.Duration(min(n, int(maxWaitParam/time.Second))) * time.Second
	}
	if d < 0 {
		return 0, miniauth.Errorf(miniauth.EInvalidRequest, "wait must not be negative")
	}
	return min(d, maxWaitParam), nil
}

// advanceWebLogin answers a scan, confirm or deny of the mini program.
func (s *Server) advanceWebLogin(step func(*miniauth.Service, context.Context, *miniauth.Session, string) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := step(s.svc, c.Request.Context(), sessionOf(c), c.Param("ticket")); err != nil {
			s.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}
