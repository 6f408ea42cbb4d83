package miniauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeFailures is an in-memory FailureCounter for this package's tests; the
// real ones pass storetest.TestFailureCounter.
type fakeFailures struct {
	mu      sync.Mutex
	windows map[string]FailureWindow
	err     error // when set, every call fails with it
}

func newFakeFailures() *fakeFailures { return &fakeFailures{windows: map[string]FailureWindow{}} }

func (f *fakeFailures) Failures(_ context.Context, key string, now time.Time) (FailureWindow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return FailureWindow{}, f.err
	}
	w := f.windows[key]
	if !now.Before(w.Ends) {
		return FailureWindow{}, nil
	}
	return w, nil
}

func (f *fakeFailures) AddFailure(_ context.Context, key string, now time.Time, window time.Duration) (FailureWindow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return FailureWindow{}, f.err
	}
	w := f.windows[key]
	if !now.Before(w.Ends) {
		w = FailureWindow{Ends: now.Add(window)}
	}
	w.Count++
	f.windows[key] = w
	return w, nil
}

// countingWeChat counts code exchanges, to show that a throttled login
// spends none.
type countingWeChat struct {
	*fakeWeChat
	calls int
}

func (c *countingWeChat) Code2Session(ctx context.Context, appID, code string) (*WeChatSession, error) {
	c.calls++
	return c.fakeWeChat.Code2Session(ctx, appID, code)
}

type throttleFixture struct {
	*fixture
	wx       *countingWeChat
	failures *fakeFailures
}

var testLimits = ThrottleLimits{IPFailures: 5, IPWindow: 10 * time.Minute, OpenIDFailures: 3, OpenIDWindow: 15 * time.Minute}

func newThrottleFixture(t *testing.T, limits ThrottleLimits) *throttleFixture {
	f := newFixture(t)
	tf := &throttleFixture{fixture: f, wx: &countingWeChat{fakeWeChat: f.wx}, failures: newFakeFailures()}
	f.svc = NewService(f.users, f.sessions, nil, tf.wx, Options{CacheTTL: DefaultCacheTTL, RefreshReuseLeeway: DefaultRefreshReuseLeeway,
		Apps:     []string{"wxapp"},
		Now:      f.clock.Now,
		Failures: tf.failures,
		Throttle: limits,
	})
	return tf
}

// loginWith logs in with a code WeChat knows for openid ("" for a code it
// refuses) from ip.
func (f *throttleFixture) loginWith(ip, openid string) error {
	code := fmt.Sprintf("code-%d", f.wx.calls+len(f.wx.sessions)+1000*len(f.users.users))
	if openid != "" {
		code = "good-" + openid + "-" + code
		f.wx.sessions[code] = &WeChatSession{OpenID: openid, SessionKey: "key"}
	}
	_, err := f.svc.Login(context.Background(), LoginRequest{Code: code, IP: ip})
	return err
}

func wantThrottled(t *testing.T, err error, cause error, retryAfter time.Duration) {
	t.Helper()
	if ErrorCode(err) != ERateLimited || !errors.Is(err, cause) {
		t.Fatalf("err = %v, want rate_limited by %v", err, cause)
	}
	if got := RetryAfterOf(err); got != retryAfter {
		t.Errorf("retry after %v, want %v", got, retryAfter)
	}
	whose := map[error]string{ErrThrottledIP: "from this address", ErrThrottledOpenID: "for this account"}[cause]
	want := fmt.Sprintf("too many failed logins %s; try again in %d seconds", whose, retryAfter/time.Second)
	if got := ErrorMessage(err); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestThrottleIPAllowsExactlyItsFailuresPerWindow(t *testing.T) {
	f := newThrottleFixture(t, testLimits)
	const ip = "203.0.113.9"
	for i := range testLimits.IPFailures {
		if err := f.loginWith(ip, ""); ErrorCode(err) != EInvalidCode {
			t.Fatalf("failure %d: %v", i+1, err)
		}
		f.clock.Add(time.Second)
	}
	calls := f.wx.calls

	// The next one is refused before WeChat is asked, even with a good code,
	// and says how long the rest of the window is: 10m less the 5 s gone.
	err := f.loginWith(ip, "o1")
	wantThrottled(t, err, ErrThrottledIP, testLimits.IPWindow-5*time.Second)
	if f.wx.calls != calls {
		t.Errorf("a throttled login spent a code exchange")
	}
	// Refresh shares the limit, and is refused before any lookup.
	_, err = f.svc.Refresh(context.Background(), RefreshRequest{RefreshToken: "mrt_whatever", IP: ip})
	wantThrottled(t, err, ErrThrottledIP, testLimits.IPWindow-5*time.Second)
	// Other addresses are not concerned.
	if err := f.loginWith("203.0.113.10", "o2"); err != nil {
		t.Fatalf("another address: %v", err)
	}

	// The last millisecond of the window is still refused, its end is not;
	// the refusals did not count, so a whole new allowance is there.
	f.clock.Add(testLimits.IPWindow - 5*time.Second - time.Millisecond)
	wantThrottled(t, f.loginWith(ip, "o1"), ErrThrottledIP, time.Second)
	f.clock.Add(time.Millisecond)
	if err := f.loginWith(ip, "o1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	for i := range testLimits.IPFailures {
		if err := f.loginWith(ip, ""); ErrorCode(err) != EInvalidCode {
			t.Fatalf("failure %d of the new window: %v", i+1, err)
		}
	}
	wantThrottled(t, f.loginWith(ip, "o1"), ErrThrottledIP, testLimits.IPWindow)
}

func TestThrottleCountsRefreshFailuresButNotReuse(t *testing.T) {
	f := newThrottleFixture(t, testLimits)
	ctx := context.Background()
	const ip = "198.51.100.4"
	res := f.login(t, "o1")
	next, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken, IP: ip})
	if err != nil {
		t.Fatal(err)
	}
	// A reuse within the leeway is the client racing itself: it neither
	// ends the session nor counts.
	for range testLimits.IPFailures + 1 {
		if _, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken, IP: ip}); ErrorCode(err) != EUnauthorized {
			t.Fatalf("reuse within the leeway: %v", err)
		}
	}
	if w, _ := f.failures.Failures(ctx, ipKey(ip), f.clock.Now()); w.Count != 0 {
		t.Errorf("%d failures counted for reuses within the leeway, want 0", w.Count)
	}
	f.clock.Add(DefaultRefreshReuseLeeway)
	// Later, reuse revokes the session, and does not count either.
	for range testLimits.IPFailures + 1 {
		if _, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken, IP: ip}); ErrorCode(err) != EUnauthorized {
			t.Fatalf("reuse: %v", err)
		}
	}
	if w, _ := f.failures.Failures(ctx, ipKey(ip), f.clock.Now()); w.Count != testLimits.IPFailures {
		// The first reuse revoked the session: the later ones are unknown
		// tokens, which count.
		t.Errorf("%d failures counted, want %d (all but the reuse)", w.Count, testLimits.IPFailures)
	}
	_, err = f.svc.Refresh(ctx, RefreshRequest{RefreshToken: next.RefreshToken, IP: ip})
	wantThrottled(t, err, ErrThrottledIP, testLimits.IPWindow)
}

func TestThrottleOpenIDCountsADisabledUserEverywhere(t *testing.T) {
	f := newThrottleFixture(t, testLimits)
	ctx := context.Background()
	res := f.login(t, "o1")
	if _, err := f.svc.SetUserDisabled(ctx, res.User.ID, true); err != nil {
		t.Fatal(err)
	}
	// From ever-new addresses, so that only the openid limit can apply.
	for i := range testLimits.OpenIDFailures {
		if err := f.loginWith(fmt.Sprintf("192.0.2.%d", i), "o1"); ErrorCode(err) != EUserBlocked {
			t.Fatalf("blocked login %d: %v", i+1, err)
		}
	}
	wantThrottled(t, f.loginWith("192.0.2.200", "o1"), ErrThrottledOpenID, testLimits.OpenIDWindow)
	// Another user of the same addresses is not concerned.
	if err := f.loginWith("192.0.2.0", "o2"); err != nil {
		t.Errorf("another openid: %v", err)
	}
	f.clock.Add(testLimits.OpenIDWindow)
	if err := f.loginWith("192.0.2.201", "o1"); ErrorCode(err) != EUserBlocked {
		t.Errorf("after the window: %v", err)
	}
}

func TestThrottleOpenIDCountsARefreshOfADisabledUser(t *testing.T) {
	f := newThrottleFixture(t, ThrottleLimits{OpenIDFailures: 1})
	ctx := context.Background()
	res := f.login(t, "o1")
	if _, err := f.users.UpdateUser(ctx, res.User.ID, UserUpdate{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken}); ErrorCode(err) != EUserBlocked {
		t.Fatalf("refresh of a disabled user: %v", err)
	}
	wantThrottled(t, f.loginWith("", "o1"), ErrThrottledOpenID, DefaultThrottleOpenIDWindow)
}

func TestThrottleIgnoresWhatIsNotTheClientsFailure(t *testing.T) {
	f := newThrottleFixture(t, ThrottleLimits{IPFailures: 1, OpenIDFailures: 1})
	const ip = "203.0.113.1"
	f.wx.err = Errorf(EUpstreamUnavailable, "wechat is down")
	for range 3 {
		if err := f.loginWith(ip, "o1"); ErrorCode(err) != EUpstreamUnavailable {
			t.Fatalf("outage: %v", err)
		}
	}
	f.wx.err = Errorf(ERateLimited, "45011")
	if err := f.loginWith(ip, "o1"); ErrorCode(err) != ERateLimited || errors.Is(err, ErrThrottledIP) {
		t.Fatalf("wechat's limit: %v", err)
	}
	f.wx.err = nil
	for range 3 {
		if _, err := f.svc.Login(context.Background(), LoginRequest{AppID: "wxother", Code: "c", IP: ip}); ErrorCode(err) != EInvalidRequest {
			t.Fatalf("unknown app: %v", err)
		}
	}
	for range 3 { // successes
		if err := f.loginWith(ip, "o1"); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.failures.windows) != 0 {
		t.Errorf("counted: %v", f.failures.windows)
	}
}

func TestThrottleOff(t *testing.T) {
	for name, limits := range map[string]ThrottleLimits{
		"zero limits": {IPWindow: time.Minute, OpenIDWindow: time.Minute},
		"no counter":  testLimits,
	} {
		t.Run(name, func(t *testing.T) {
			f := newThrottleFixture(t, limits)
			if name == "no counter" {
				f.svc = NewService(f.users, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, RefreshReuseLeeway: DefaultRefreshReuseLeeway, Apps: []string{"wxapp"}, Now: f.clock.Now, Throttle: limits})
			}
			for range 20 {
				if err := f.loginWith("203.0.113.1", ""); ErrorCode(err) != EInvalidCode {
					t.Fatal(err)
				}
			}
			if len(f.failures.windows) != 0 {
				t.Errorf("counted: %v", f.failures.windows)
			}
		})
	}
}

func TestThrottleFailsOpenWhenItsCounterFails(t *testing.T) {
	f := newThrottleFixture(t, ThrottleLimits{IPFailures: 1})
	f.failures.err = Errorf(EUpstreamUnavailable, "redis is down")
	for range 3 {
		if err := f.loginWith("203.0.113.1", ""); ErrorCode(err) != EInvalidCode {
			t.Fatalf("with the counter down: %v", err)
		}
	}
	if err := f.loginWith("203.0.113.1", "o1"); err != nil {
		t.Fatalf("a good login with the counter down: %v", err)
	}
	// Each failed login: one check and one count; the good one: one check.
	if got := f.svc.ThrottleCounterErrors(); got != 7 {
		t.Errorf("counter errors = %d, want 7", got)
	}
}

func TestThrottleRetryAfterIsWholeSecondsRoundedUp(t *testing.T) {
	f := newThrottleFixture(t, ThrottleLimits{IPFailures: 1, IPWindow: time.Minute})
	f.loginWith("203.0.113.1", "")
	f.clock.Add(1500 * time.Millisecond)
	err := f.loginWith("203.0.113.1", "")
	wantThrottled(t, err, ErrThrottledIP, 59*time.Second) // 58.5 s left
}

func TestIPKeyGroupsIPv6By64(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.9":          "ip:203.0.113.9",
		"::ffff:203.0.113.9":   "ip:203.0.113.9",
		"2001:db8:1:2:3:4:5:6": "ip:2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "ip:2001:db8:1:2::/64",
		"2001:db8:1:3::1":      "ip:2001:db8:1:3::/64",
		"fe80::1%eth0":         "ip:fe80::/64",
		"not an address":       "ip:not an address",
	} {
		if got := ipKey(ip); got != want {
			t.Errorf("ipKey(%q) = %q, want %q", ip, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
