package miniauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"
)

// FailureCounter counts failures per key in fixed windows, shared by every
// node of a deployment: the first failure of a key opens a window of the
// given length, later failures in it add up, and once it has ended the key
// starts from zero again. The times are the caller's clock, so that one clock
// decides a request. Implementations: redis (several nodes) and inmem (one
// node, bounded memory).
type FailureCounter interface {
	// Failures returns key's failures in its current window; a zero
	// FailureWindow when no window runs at now.
	Failures(ctx context.Context, key string, now time.Time) (FailureWindow, error)

	// AddFailure counts one failure of key at now, opening a window of length
	// window when none runs, and returns the window with this failure in it.
	AddFailure(ctx context.Context, key string, now time.Time, window time.Duration) (FailureWindow, error)
}

// FailureWindow is a key's count of failures and when its window ends.
type FailureWindow struct {
	Count int
	Ends  time.Time
}

// ThrottleLimits are the limits on failed logins and refreshes. A limit whose
// Failures is 0 is off.
type ThrottleLimits struct {
	// IPFailures failed logins and refreshes per client IP (IPv6: per /64)
	// within IPWindow; past them, logins and refreshes from that address are
	// refused before anything is spent.
	IPFailures int
	IPWindow   time.Duration
	// OpenIDFailures failed logins and refreshes per openid (of an app) within
	// OpenIDWindow; past them, that openid's logins are refused.
	OpenIDFailures int
	OpenIDWindow   time.Duration
}

// Default limits. They count failures, not attempts, because honest users
// rarely fail: a code sent twice, a refresh token that expired or was
// revoked, each followed by a login that works. So a crowd behind one NAT (a
// campus, a carrier's CGNAT) reaches 50 failures in 10 minutes only if five
// of its users fail every minute for ten minutes straight, while a client
// spraying codes or tokens is held to 7,200 attempts a day, each of which
// would cost a WeChat call or a store lookup. One user fails a few times in a
// row at most, so an openid gets fewer.
const (
	DefaultThrottleIPFailures     = 50
	DefaultThrottleIPWindow       = 10 * time.Minute
	DefaultThrottleOpenIDFailures = 10
	DefaultThrottleOpenIDWindow   = 10 * time.Minute
)

// Causes of a throttled answer (code ERateLimited), for errors.Is: which
// limit refused the request.
var (
	ErrThrottledIP     = errors.New("too many failures from this client address")
	ErrThrottledOpenID = errors.New("too many failures of this openid")
)

// maxThrottleKeyValue bounds what a key carries from the request.
const maxThrottleKeyValue = 128

// throttle applies ThrottleLimits over a FailureCounter. With no counter, or
// a limit at 0, it lets everything through.
type throttle struct {
	counter FailureCounter
	limits  ThrottleLimits
	now     func() time.Time
	log     *slog.Logger

	// counterErrors counts failed counter calls (the throttle then lets the
	// request through); lastErrorLog rate-limits their log lines (Unix ns).
	counterErrors atomic.Uint64
	lastErrorLog  atomic.Int64
}

// throttleErrorLogEvery is how often at most a counter error is logged: in an
// outage every login would log one.
const throttleErrorLogEvery = 10 * time.Second

func newThrottle(counter FailureCounter, limits ThrottleLimits, now func() time.Time, log *slog.Logger) *throttle {
	if limits.IPWindow <= 0 {
		limits.IPWindow = DefaultThrottleIPWindow
	}
	if limits.OpenIDWindow <= 0 {
		limits.OpenIDWindow = DefaultThrottleOpenIDWindow
	}
	return &throttle{counter: counter, limits: limits, now: now, log: log}
}

// throttleKey is one limited subject: a client address or an openid.
type throttleKey struct {
	name   string // the counter's key
	limit  int
	window time.Duration
	cause  error
	whose  string // for the message: "from this address"
}

func (t *throttle) byIP(ip string) *throttleKey {
	if t.counter == nil || t.limits.IPFailures <= 0 || ip == "" {
		return nil
	}
	return &throttleKey{name: ipKey(ip), limit: t.limits.IPFailures, window: t.limits.IPWindow, cause: ErrThrottledIP, whose: "from this address"}
}

func (t *throttle) byOpenID(appID, openID string) *throttleKey {
	if t.counter == nil || t.limits.OpenIDFailures <= 0 || openID == "" {
		return nil
	}
	name := "openid:" + keyPart(appID, maxThrottleKeyValue) + ":" + keyPart(openID, maxThrottleKeyValue)
	return &throttleKey{name: name, limit: t.limits.OpenIDFailures, window: t.limits.OpenIDWindow, cause: ErrThrottledOpenID, whose: "for this account"}
}

// ipKey names a client address. IPv6 addresses count per /64: one
// subscriber usually holds a whole /64 and could otherwise take a fresh
// address for every attempt.
func ipKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + keyPart(ip, maxThrottleKeyValue)
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return "ip:" + addr.String()
	}
	prefix, _ := addr.WithZone("").Prefix(64)
	return "ip:" + prefix.String()
}

// check refuses with ERateLimited when key (nil: no limit) has used up its
// failures. A counter that fails lets the request through. Checking and
// counting are two steps: a burst of concurrent failures that all pass the
// check before any is counted goes over the limit by that burst, once
// (http.auth_rate bounds such bursts).
func (t *throttle) check(ctx context.Context, key *throttleKey) error {
	if key == nil {
		return nil
	}
	now := t.now()
	w, err := t.counter.Failures(ctx, key.name, now)
	if err != nil {
		t.counterFailed(err)
		return nil
	}
	if w.Count < key.limit {
		return nil
	}
	wait := w.Ends.Sub(now)
	seconds := max(int64((wait+time.Second-1)/time.Second), 1)
	return &Error{
		Code:       ERateLimited,
		Message:    fmt.Sprintf("too many failed logins %s; try again in %d seconds", key.whose, seconds),
		Err:        key.cause,
		RetryAfter: time.Duration(seconds) * time.Second,
	}
}

// count records the outcome err of a login or refresh against keys when it
// is a failure. It does so even when the client has gone away meanwhile, so
// that hanging up does not dodge the count.
func (t *throttle) count(ctx context.Context, err error, keys ...*throttleKey) {
	if !countsAsFailure(err) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, key := range keys {
		if key == nil {
			continue
		}
		if _, err := t.counter.AddFailure(ctx, key.name, t.now(), key.window); err != nil {
			t.counterFailed(err)
		}
	}
}

// countsAsFailure says which outcomes count against the limits: what a
// client spraying codes or tokens gets, and a disabled user trying again.
// Not counted: our own outages (upstream_unavailable, internal), WeChat's
// rate limit, requests refused before any work (invalid_request, such as
// malformed JSON or an unknown appid, costs nothing that a limit should
// protect; http.auth_rate covers floods of them), and a reused refresh token:
// it revokes its session at once, so there is nothing left to guess, and an
// honest client racing itself (a reuse within the leeway) would otherwise
// lock out its whole network.
func countsAsFailure(err error) bool {
	if err == nil || errors.Is(err, ErrRefreshReused) || err == errJustRotated {
		return false
	}
	switch ErrorCode(err) {
	case EInvalidCode, EUserBlocked, EUnauthorized:
		return true
	}
	return false
}

// counterFailed fails open: the limits protect against abuse, not against
// account takeover (codes are WeChat's to check, tokens have 256 random
// bits), so a counter outage is not worth refusing logins for. It is
// counted for the metrics and logged at most every throttleErrorLogEvery.
func (t *throttle) counterFailed(err error) {
	t.counterErrors.Add(1)
	now := t.now().UnixNano()
	last := t.lastErrorLog.Load()
	if now-last < int64(throttleErrorLogEvery) || !t.lastErrorLog.CompareAndSwap(last, now) {
		return
	}
	t.log.Warn("login throttle: failure counter unavailable; letting requests through", "err", err)
}

// attempt is one login or refresh under the throttle: the keys its outcome
// counts against.
type attempt struct {
	t      *throttle
	ip     *throttleKey
	openID *throttleKey
}

// begin refuses a client address that has used up its failures, before the
// request spends anything (a WeChat code exchange, a token lookup).
func (t *throttle) begin(ctx context.Context, ip string) (*attempt, error) {
	a := &attempt{t: t, ip: t.byIP(ip)}
	if err := t.check(ctx, a.ip); err != nil {
		return nil, err
	}
	return a, nil
}

// admit names the user of a login once WeChat has told us, and refuses an
// openid that has used up its failures.
func (a *attempt) admit(ctx context.Context, appID, openID string) error {
	a.openID = a.t.byOpenID(appID, openID)
	return a.t.check(ctx, a.openID)
}

// attribute names the user of a refresh. It never refuses: the token has
// rotated by then, and refusing would lose the new one.
func (a *attempt) attribute(appID, openID string) {
	a.openID = a.t.byOpenID(appID, openID)
}

// end counts the outcome.
func (a *attempt) end(ctx context.Context, err error) {
	a.t.count(ctx, err, a.ip, a.openID)
}

// ThrottleCounterErrors is how many times the failure counter failed and the
// throttle let a request through, for the metrics.
func (s *Service) ThrottleCounterErrors() uint64 { return s.throttle.counterErrors.Load() }

// keyPart bounds a part of a counter key taken from outside.
func keyPart(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
