package miniauth

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. They are the codes of the outside contract; httpapi maps each
// to one HTTP status in one place.
const (
	EInvalidRequest      = "invalid_request"
	EInvalidCode         = "invalid_code"
	EUserBlocked         = "user_blocked"
	EUnauthorized        = "unauthorized"
	ENotFound            = "not_found"
	EConflict            = "conflict"
	EPayloadTooLarge     = "payload_too_large"
	ERateLimited         = "rate_limited"
	EUpstreamUnavailable = "upstream_unavailable"
	EInternal            = "internal"
	EForbidden           = "forbidden" // an operator without the right, a console form without a valid CSRF token

	// ECanceled is no contract code: the caller went away (a client that
	// closed its connection) before the answer was ready. Nobody reads
	// that answer; httpapi records it as 499, as nginx does, so that it
	// counts neither as an outage nor as a fault of ours.
	ECanceled = "canceled"
)

// Error is an error with a code from the list above. Message is safe to show
// to a client; Err, when set, is the cause and is never shown.
type Error struct {
	Code    string
	Message string
	Err     error
	// RetryAfter, when positive, tells the client how long to wait before
	// trying again (ERateLimited); httpapi sends it as Retry-After.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("miniauth: %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("miniauth: %s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with the code and message whose cause is err.
// The cause stays out of the message so that it never reaches a client.
func WrapError(code, message string, err error) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for a nil
// error, and EInternal for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the client-safe message of err. Internal errors get a
// fixed text so that no detail leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		return e.Message
	}
	return "internal error"
}

// RetryAfterOf returns the RetryAfter of the first *Error in err's chain, 0
// when there is none.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
