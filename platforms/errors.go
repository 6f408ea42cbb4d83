package platforms

import (
	"fmt"

	"github.com/miniauth/miniauth"
)

// Result labels of calls that got no platform error code. Calls answered
// with one are labelled with that code when the platform documents it, else
// labelOther: labels stay bounded whatever a platform sends.
const (
	labelOK           = "ok"
	labelTimeout      = "timeout"
	labelHTTPError    = "http_error"
	labelBadJSON      = "bad_json"
	labelBadSignature = "bad_signature"
	labelOther        = "other"
)

// CallError is the redacted cause of a failed call: which platform and
// endpoint, and how it failed. It never holds the request's URL or body
// (secrets, keys, the code), nor the platform's free-text message.
type CallError struct {
	Platform string // e.g. "douyin"
	Endpoint string // e.g. "api/apps/v2/jscode2session"
	Kind     string // "timeout", "status 502", "bad json", "bad signature", "transport", "canceled", "error code"
	Code     string // the platform's error code when Kind is "error code"
}

func (e *CallError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s %s: error code %s", e.Platform, e.Endpoint, e.Code)
	}
	return fmt.Sprintf("%s %s: %s", e.Platform, e.Endpoint, e.Kind)
}

// result is how one call ended: a metrics label, and the error to return
// (nil on success).
type result struct {
	label string
	err   *miniauth.Error
}

var ok = result{label: labelOK}

// from names the platform in the result's CallError.
func (r result) from(platform string) result {
	if r.err != nil {
		if ce, isCall := r.err.Err.(*CallError); isCall {
			ce.Platform = platform
		}
	}
	return r
}

func unavailable(endpoint, kind, label string) result {
	return result{label: label, err: miniauth.WrapError(miniauth.EUpstreamUnavailable,
		"the platform is unavailable", &CallError{Endpoint: endpoint, Kind: kind})}
}

func httpStatus(endpoint string, status int) result {
	return unavailable(endpoint, fmt.Sprintf("status %d", status), labelHTTPError)
}

func badJSON(endpoint string) result { return unavailable(endpoint, "bad json", labelBadJSON) }

// errorCodes maps the error codes a platform documents to the contract's
// codes; a code not listed is upstream_unavailable.
type errorCodes map[string]string

// platformError is the result of an answer carrying the platform's error
// code.
func (codes errorCodes) platformError(endpoint, code string) result {
	class, known := codes[code]
	label := code
	if !known {
		class, label = miniauth.EUpstreamUnavailable, labelOther
	}
	var msg string
	switch class {
	case miniauth.EInvalidCode:
		msg = "the code is invalid, expired or already used"
	case miniauth.EUserBlocked:
		msg = "the platform blocked this user"
	case miniauth.ERateLimited:
		msg = "the platform's rate limit is reached"
	default:
		msg = "the platform answered error " + label
	}
	return result{label: label, err: miniauth.WrapError(class, msg,
		&CallError{Endpoint: endpoint, Kind: "error code", Code: label})}
}
