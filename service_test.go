package miniauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	svc      *Service
	users    *fakeUsers
	sessions *fakeSessions
	wx       *fakeWeChat
	clock    *clock
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{
		users:    newFakeUsers(),
		sessions: newFakeSessions(),
		wx:       &fakeWeChat{sessions: map[string]*WeChatSession{}},
		clock:    &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	f.svc = NewService(f.users, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, RefreshReuseLeeway: DefaultRefreshReuseLeeway, Apps: []string{"wxapp"}, Now: f.clock.Now})
	return f
}

func (f *fixture) login(t testing.TB, openid string) *LoginResult {
	t.Helper()
	code := fmt.Sprintf("code-%s-%d", openid, len(f.wx.sessions))
	f.wx.sessions[code] = &WeChatSession{OpenID: openid, SessionKey: "key"}
	res, err := f.svc.Login(context.Background(), LoginRequest{Code: code})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestLoginFindsOrCreatesAndFillsUnionID(t *testing.T) {
	f := newFixture(t)
	first := f.login(t, "o1")
	if !first.NewUser {
		t.Error("first login must create the user")
	}
	f.wx.sessions["later"] = &WeChatSession{OpenID: "o1", UnionID: "u1", SessionKey: "k2"}
	second, err := f.svc.Login(context.Background(), LoginRequest{Code: "later"})
	if err != nil {
		t.Fatal(err)
	}
	if second.NewUser || second.User.ID != first.User.ID || second.User.UnionID != "u1" {
		t.Errorf("second login: new=%v id=%s unionid=%q", second.NewUser, second.User.ID, second.User.UnionID)
	}
	if first.AccessToken == second.AccessToken {
		t.Error("every login must get its own token")
	}
}

func TestLoginErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		req  LoginRequest
		want string
	}{
		{"empty code", LoginRequest{}, EInvalidCode},
		{"code too long", LoginRequest{Code: strings.Repeat("x", maxCodeLength+1)}, EInvalidCode},
		{"unknown app", LoginRequest{AppID: "wxother", Code: "c"}, EInvalidRequest},
		{"code wechat refuses", LoginRequest{Code: "nope"}, EInvalidCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Login(context.Background(), tt.req)
			if got := ErrorCode(err); got != tt.want {
				t.Errorf("code = %q, want %q (%v)", got, tt.want, err)
			}
		})
	}
}

func TestSeveralAppsNeedAnAppID(t *testing.T) {
	f := newFixture(t)
	svc := NewService(f.users, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, RefreshReuseLeeway: DefaultRefreshReuseLeeway, Apps: []string{"a", "b"}})
	_, err := svc.Login(context.Background(), LoginRequest{Code: "x"})
	if ErrorCode(err) != EInvalidRequest || !strings.Contains(ErrorMessage(err), "appid is required") {
		t.Errorf("err = %v", err)
	}
}

func TestVerifyCachesAndHonoursExpiry(t *testing.T) {
	f := newFixture(t)
	res := f.login(t, "o1")
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if _, err := f.svc.Verify(ctx, res.AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	if f.sessions.lookups != 1 {
		t.Errorf("store lookups = %d, want 1: verify must answer from its cache", f.sessions.lookups)
	}
	f.clock.Add(DefaultCacheTTL)
	if _, err := f.svc.Verify(ctx, res.AccessToken); err != nil {
		t.Fatal(err)
	}
	if f.sessions.lookups != 2 {
		t.Errorf("store lookups = %d, want 2 after the cache TTL", f.sessions.lookups)
	}
	f.clock.Add(DefaultAccessTTL)
	if _, err := f.svc.Verify(ctx, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("expired token: err = %v", err)
	}
}

func TestVerifyRefusesMalformedTokensWithoutAStoreLookup(t *testing.T) {
	f := newFixture(t)
	for _, tok := range []string{"", "abc", "mrt_" + strings.Repeat("a", 43), "mat_" + strings.Repeat("a", 42)} {
		if _, err := f.svc.Verify(context.Background(), tok); ErrorCode(err) != EUnauthorized {
			t.Errorf("Verify(%q) = %v", tok, err)
		}
	}
	if f.sessions.lookups != 0 {
		t.Errorf("store lookups = %d", f.sessions.lookups)
	}
}

func TestLogoutEndsTheSessionAtOnceOnThisNode(t *testing.T) {
	f := newFixture(t)
	res := f.login(t, "o1")
	ctx := context.Background()
	session, err := f.svc.Verify(ctx, res.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Logout(ctx, LogoutRequest{Session: session}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(ctx, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("after logout: %v (the cache must not keep a revoked session)", err)
	}
	if _, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken}); ErrorCode(err) != EUnauthorized {
		t.Errorf("refresh after logout: %v", err)
	}
}

func TestRefreshRotatesAndReuseRevokes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res := f.login(t, "o1")
	if _, err := f.svc.Verify(ctx, res.AccessToken); err != nil {
		t.Fatal(err)
	}
	next, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken == res.RefreshToken || next.AccessToken == res.AccessToken {
		t.Fatal("refresh must rotate both tokens")
	}
	if _, err := f.svc.Verify(ctx, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("old access token after refresh: %v", err)
	}
	if _, err := f.svc.Verify(ctx, next.AccessToken); err != nil {
		t.Errorf("new access token: %v", err)
	}
	// Within the leeway: refused, and the winner's tokens live on.
	f.clock.Add(DefaultRefreshReuseLeeway - time.Millisecond)
	_, err = f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken})
	if ErrorCode(err) != EUnauthorized || errors.Is(err, ErrRefreshReused) {
		t.Fatalf("reuse within the leeway: err = %v, want a plain unauthorized", err)
	}
	if _, err := f.svc.Verify(ctx, next.AccessToken); err != nil {
		t.Fatalf("a reuse within the leeway ended the session: %v", err)
	}
	// At the leeway: a thief; the whole session ends.
	f.clock.Add(time.Millisecond)
	_, err = f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken})
	if !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("reuse: err = %v", err)
	}
	if _, err := f.svc.Verify(ctx, next.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("after reuse the whole session must end: %v", err)
	}
}

func TestDisablingAUserEndsItsSessionsAndBlocksLogin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res := f.login(t, "o1")
	if _, err := f.svc.Verify(ctx, res.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetUserDisabled(ctx, res.User.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Verify(ctx, res.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("verify after disable: %v", err)
	}
	f.wx.sessions["again"] = &WeChatSession{OpenID: "o1", SessionKey: "k"}
	if _, err := f.svc.Login(ctx, LoginRequest{Code: "again"}); ErrorCode(err) != EUserBlocked {
		t.Errorf("login of a disabled user: %v", err)
	}
}

// disabledMeanwhile is a user store whose users are disabled by the time a
// login reads the flag again: a disable that ran between the login's
// lookup and its session's creation.
type disabledMeanwhile struct{ *fakeUsers }

func (disabledMeanwhile) UserDisabled(context.Context, string) (bool, error) { return true, nil }

func TestLoginRevokesItsSessionWhenTheUserWasDisabledMeanwhile(t *testing.T) {
	f := newFixture(t)
	f.svc = NewService(disabledMeanwhile{f.users}, f.sessions, nil, f.wx, Options{CacheTTL: DefaultCacheTTL, Apps: []string{"wxapp"}, Now: f.clock.Now})
	f.wx.sessions["c"] = &WeChatSession{OpenID: "o1", SessionKey: "k"}
	if _, err := f.svc.Login(context.Background(), LoginRequest{Code: "c"}); ErrorCode(err) != EUserBlocked {
		t.Fatalf("login: %v, want %s", err, EUserBlocked)
	}
	if n := len(f.sessions.sessions); n != 0 {
		t.Errorf("%d sessions left, want the login's revoked", n)
	}
}

func TestPhoneOf(t *testing.T) {
	tests := []struct {
		in   PhoneInfo
		want string
	}{
		{PhoneInfo{PhoneNumber: "+86 13800138000", PurePhoneNumber: "13800138000", CountryCode: "86"}, "13800138000"},
		{PhoneInfo{PurePhoneNumber: "13800138000"}, "13800138000"},
		{PhoneInfo{PhoneNumber: "+1 2025550123", PurePhoneNumber: "2025550123", CountryCode: "1"}, "+12025550123"},
		{PhoneInfo{PhoneNumber: "+852 61234567", CountryCode: "852"}, "+85261234567"},
	}
	for _, tt := range tests {
		if got := phoneOf(&tt.in); got != tt.want {
			t.Errorf("phoneOf(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// expires_in comes from the service's clock, whatever the handler's says.
func TestExpiresInIsTheAccessTTL(t *testing.T) {
	f := newFixture(t)
	if got := f.login(t, "o1").ExpiresIn; got != DefaultAccessTTL {
		t.Errorf("ExpiresIn = %v, want %v", got, DefaultAccessTTL)
	}
}

// TestZeroTurnsOff: the settings that can be off are off at 0, as in the
// configuration; NewService fills in no default for them.
func TestZeroTurnsOff(t *testing.T) {
	f := newFixture(t)
	f.svc = NewService(f.users, f.sessions, nil, f.wx, Options{Apps: []string{"wxapp"}, Now: f.clock.Now})
	ctx := context.Background()
	res := f.login(t, "o1")
	before := f.sessions.lookups
	for range 3 {
		if _, err := f.svc.Verify(ctx, res.AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.sessions.lookups - before; got != 3 {
		t.Errorf("store lookups = %d, want 3: a CacheTTL of 0 is no cache", got)
	}
	next, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	// No leeway: even a reuse at once ends the session.
	if _, err := f.svc.Refresh(ctx, RefreshRequest{RefreshToken: res.RefreshToken}); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("reuse with no leeway: err = %v, want ErrRefreshReused", err)
	}
	if _, err := f.svc.Verify(ctx, next.AccessToken); ErrorCode(err) != EUnauthorized {
		t.Errorf("after reuse the whole session must end: %v", err)
	}
}
