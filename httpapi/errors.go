package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/miniauth/miniauth"
)

// statusOf maps each error code to its HTTP status: the one place where
// codes become statuses.
var statusOf = map[string]int{
	miniauth.EInvalidRequest:      http.StatusBadRequest,
	miniauth.EInvalidCode:         http.StatusBadRequest,
	miniauth.EUserBlocked:         http.StatusForbidden,
	miniauth.EUnauthorized:        http.StatusUnauthorized,
	miniauth.ENotFound:            http.StatusNotFound,
	miniauth.EConflict:            http.StatusConflict,
	miniauth.EPayloadTooLarge:     http.StatusRequestEntityTooLarge,
	miniauth.ERateLimited:         http.StatusTooManyRequests,
	miniauth.EUpstreamUnavailable: http.StatusServiceUnavailable,
	miniauth.EInternal:            http.StatusInternalServerError,
	miniauth.EForbidden:           http.StatusForbidden,
	miniauth.ECanceled:            statusClientClosedRequest,
}

// statusClientClosedRequest is nginx's 499: the client went away before
// the answer. It reaches nobody; it is for the access log and the metrics.
const statusClientClosedRequest = 499

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

// fail answers err in the contract's shape and stops the handler chain.
// Internal errors are logged with their cause; the client sees none of it.
func (s *Server) fail(c *gin.Context, err error) {
	code := miniauth.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		code, status = miniauth.EInternal, http.StatusInternalServerError
	}
	if code == miniauth.EInternal {
		s.log.Error("internal error", "request_id", requestIDOf(c), "route", c.FullPath(), "err", err)
	}
	setErrorCode(c, code)
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="miniauth"`)
	}
	s.answerRetryAfter(c, err)
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{
		Code:      code,
		Message:   messageFor(c, code, err),
		RequestID: requestIDOf(c),
	}})
}

// messageFor is err's message in the client's language (i18n.go).
func messageFor(c *gin.Context, code string, err error) string {
	c.Header("Vary", "Accept-Language")
	message := miniauth.ErrorMessage(err)
	if code == miniauth.EInternal {
		message = miniauth.ErrorMessage(miniauth.Errorf(miniauth.EInternal, ""))
	}
	if wantsChinese(c.GetHeader("Accept-Language")) {
		return chineseMessage(code, message)
	}
	return message
}
