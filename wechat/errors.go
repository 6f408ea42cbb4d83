package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"

	"github.com/miniauth/miniauth"
)

// Failure kinds of an outbound call. They are also the errcode label of
// miniauth_wechat_calls_total for calls that got no WeChat errcode.
const (
	kindTimeout   = "timeout"
	kindHTTPError = "http_error"
	kindBadJSON   = "bad_json"
)

// CallError is the redacted cause of a failed call to WeChat. The SDK's own
// errors carry the full URL, and with it the AppSecret and the login code, so
// they are never wrapped or logged: a CallError says only which endpoint
// failed and how.
type CallError struct {
	Endpoint string // e.g. "sns/jscode2session"
	Kind     string // "timeout", "status 502", "bad json", "transport", "canceled", "errcode"
	ErrCode  int64  // WeChat's errcode when Kind is "errcode"
	RID      string // WeChat's request id from errmsg, when it gave one
}

func (e *CallError) Error() string {
	if e.Kind == "errcode" {
		if e.RID != "" {
			return fmt.Sprintf("wechat %s: errcode %d (rid %s)", e.Endpoint, e.ErrCode, e.RID)
		}
		return fmt.Sprintf("wechat %s: errcode %d", e.Endpoint, e.ErrCode)
	}
	return fmt.Sprintf("wechat %s: %s", e.Endpoint, e.Kind)
}

// errcodeError maps a WeChat errcode to the domain's error codes.
func errcodeError(endpoint string, code int64, rid string) *miniauth.Error {
	cause := &CallError{Endpoint: endpoint, Kind: "errcode", ErrCode: code, RID: rid}
	switch code {
	case 40029, 40163:
		return miniauth.WrapError(miniauth.EInvalidCode, "the code is invalid, expired or already used", cause)
	case 40226:
		return miniauth.WrapError(miniauth.EUserBlocked, "wechat blocked this user", cause)
	case 45011:
		return miniauth.WrapError(miniauth.ERateLimited, "wechat rate limit reached", cause)
	}
	return miniauth.WrapError(miniauth.EUpstreamUnavailable, fmt.Sprintf("wechat answered errcode %d", code), cause)
}

// transportError classifies a call that got no usable WeChat answer. ctx is
// the call's own context (with its timeout), c what the transport recorded,
// and err the SDK's error, which is only inspected, never kept.
func transportError(ctx context.Context, endpoint string, c *call, err error) (*miniauth.Error, string) {
	var kind, label string
	var netErr net.Error
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	status := int(c.status.Load())
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		kind, label = "timeout", kindTimeout
	case ctx.Err() != nil:
		kind, label = "canceled", kindHTTPError
	case status != 0 && status != 200:
		kind, label = "status "+strconv.Itoa(status), kindHTTPError
	case errors.As(err, &syntaxErr), errors.As(err, &typeErr):
		kind, label = "bad json", kindBadJSON
	case errors.As(err, &netErr) && netErr.Timeout():
		kind, label = "timeout", kindTimeout
	default:
		kind, label = "transport", kindHTTPError
	}
	cause := &CallError{Endpoint: endpoint, Kind: kind}
	return miniauth.WrapError(miniauth.EUpstreamUnavailable, "wechat is unavailable", cause), label
}

var ridRE = regexp.MustCompile(`rid:\s*([0-9A-Za-z_-]+)`)

// ridOf returns the request id WeChat appends to errmsg ("... rid: 65a1-2b3c").
func ridOf(errmsg string) string {
	m := ridRE.FindStringSubmatch(errmsg)
	if m == nil {
		return ""
	}
	return m[1]
}
