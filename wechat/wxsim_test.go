package wechat_test

// End-to-end tests against the real WeChat simulator over HTTP.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/wechat"
	"github.com/miniauth/miniauth/wxsim"
)

type simEnv struct {
	sim  *wxsim.Simulator
	base string
	c    *wechat.Client
	logs *syncBuffer
}

// newSimEnv mounts a simulator at /_wxsim, as dev mode does, and a Client on
// it.
func newSimEnv(t testing.TB, mod func(*wechat.Options)) *simEnv {
	t.Helper()
	var now func() time.Time
	opts := wechat.Options{Apps: testApps, Timeout: 2 * time.Second}
	if mod != nil {
		mod(&opts)
		now = opts.Now
	}
	sim := wxsim.New(wxsim.Options{Apps: testApps, Now: now})
	mux := http.NewServeMux()
	mux.Handle("/_wxsim/", http.StripPrefix("/_wxsim", sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &simEnv{sim: sim, base: srv.URL + "/_wxsim", logs: &syncBuffer{}}
	opts.BaseURL = e.base
	if opts.Logger == nil {
		opts.Logger = newJSONLogger(e.logs)
	}
	c, err := wechat.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	return e
}

func (e *simEnv) loginCode(t testing.TB, openID string) string {
	t.Helper()
	code, _, err := e.sim.LoginCode(appID, openID, "")
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func (e *simEnv) calls(endpoint string) int64 { return e.sim.Stats().Calls[endpoint] }

func TestSimLogin(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, nil)
	ctx := context.Background()
	code, openID, err := e.sim.LoginCode(appID, "", "union-1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.c.Code2Session(ctx, appID, code)
	if err != nil {
		t.Fatalf("Code2Session: %v", err)
	}
	key, _ := e.sim.SessionKey(appID, openID)
	if s.OpenID != openID || s.UnionID != "union-1" || s.SessionKey != key {
		t.Fatalf("session = %+v, want openid %q and the simulator's session key", s, openID)
	}
	for name, c := range map[string]string{"used": code, "unknown": "nosuchcode"} {
		if _, err := e.c.Code2Session(ctx, appID, c); miniauth.ErrorCode(err) != miniauth.EInvalidCode {
			t.Fatalf("%s code: %v, want %s", name, err, miniauth.EInvalidCode)
		}
	}
}

func TestSimFaults(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		fault wxsim.Fault
		want  string
	}{
		{wxsim.Fault{ErrCode: 40029}, miniauth.EInvalidCode},
		{wxsim.Fault{ErrCode: 40163}, miniauth.EInvalidCode},
		{wxsim.Fault{ErrCode: 40226}, miniauth.EUserBlocked},
		{wxsim.Fault{ErrCode: 45011}, miniauth.ERateLimited},
		{wxsim.Fault{ErrCode: -1}, miniauth.EUpstreamUnavailable},
		{wxsim.Fault{ErrCode: 40125}, miniauth.EUpstreamUnavailable},
		{wxsim.Fault{HTTPStatus: 502}, miniauth.EUpstreamUnavailable},
		{wxsim.Fault{RawBody: "<html>busy</html>"}, miniauth.EUpstreamUnavailable},
	} {
		t.Run(fmt.Sprintf("%+v", tt.fault), func(t *testing.T) {
			t.Parallel()
			e := newSimEnv(t, nil)
			tt.fault.Endpoint = "sns/jscode2session"
			if err := e.sim.AddFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			code := e.loginCode(t, "")
			_, err := e.c.Code2Session(context.Background(), appID, code)
			if got := miniauth.ErrorCode(err); got != tt.want {
				t.Fatalf("got %q (%v), want %q", got, err, tt.want)
			}
			if got := e.calls("sns/jscode2session"); got != 1 {
				t.Fatalf("jscode2session calls = %d, want 1: never retried", got)
			}
			for _, s := range []string{err.Error(), e.logs.String()} {
				if strings.Contains(s, secret) || strings.Contains(s, code) {
					t.Fatalf("secret or code leaked: %s", s)
				}
			}
		})
	}
}

// TestSimTimeoutNoRetry: WeChat processes the call but answers late. The
// client gives up at its timeout and does not retry: the code is used now.
func TestSimTimeoutNoRetry(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	e := newSimEnv(t, func(o *wechat.Options) { o.Timeout = timeout })
	if err := e.sim.AddFault(wxsim.Fault{Endpoint: "sns/jscode2session", Delay: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	code := e.loginCode(t, "")
	start := time.Now()
	_, err := e.c.Code2Session(context.Background(), appID, code)
	elapsed := time.Since(start)
	if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Fatalf("got %v", err)
	}
	if elapsed < timeout || elapsed > timeout+time.Second {
		t.Fatalf("gave up after %v, want about %v", elapsed, timeout)
	}
	t.Logf("timeout %v answered after %v", timeout, elapsed)
	if got := e.calls("sns/jscode2session"); got != 1 {
		t.Fatalf("jscode2session calls = %d, want 1", got)
	}
	if _, err := e.c.Code2Session(context.Background(), appID, code); miniauth.ErrorCode(err) != miniauth.EInvalidCode {
		t.Fatalf("the code should be used up: %v", err)
	}
}

func TestSimTwoClientsTwoSimulators(t *testing.T) {
	t.Parallel()
	a, b := newSimEnv(t, nil), newSimEnv(t, nil)
	var wg sync.WaitGroup
	for i := range 100 {
		e := a
		if i%2 == 1 {
			e = b
		}
		code, openID, err := e.sim.LoginCode(appID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			// Each code is only known to its own simulator.
			s, err := e.c.Code2Session(context.Background(), appID, code)
			if err != nil || s.OpenID != openID {
				t.Errorf("Code2Session: %+v, %v", s, err)
			}
		})
	}
	wg.Wait()
	if a.calls("sns/jscode2session") != 50 || b.calls("sns/jscode2session") != 50 {
		t.Fatalf("calls: %d and %d, want 50 each", a.calls("sns/jscode2session"), b.calls("sns/jscode2session"))
	}
}

func TestSimOneTokenAcrossManagers(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{wechat.ModeStable, wechat.ModeClassic} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			store := wechat.NewMemoryTokenStore()
			e := newSimEnv(t, func(o *wechat.Options) { o.Tokens = store; o.TokenMode = mode })
			clients := []*wechat.Client{e.c}
			for range 7 {
				c, err := wechat.New(wechat.Options{BaseURL: e.base, Apps: testApps, Tokens: store, TokenMode: mode})
				if err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c)
			}
			var wg sync.WaitGroup
			for _, c := range clients {
				for range 50 {
					wg.Go(func() {
						if _, err := c.AccessToken(context.Background(), appID); err != nil {
							t.Errorf("AccessToken: %v", err)
						}
					})
				}
			}
			wg.Wait()
			if st := e.sim.Stats(); st.TokensIssued != 1 {
				t.Fatalf("tokens issued = %d, want 1 (calls %v)", st.TokensIssued, st.Calls)
			}
		})
	}
}

func TestSimPhoneNumber(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, nil)
	ctx := context.Background()
	for _, tt := range []struct {
		phone                 string
		number, pure, country string
	}{
		{"13800138000", "+86 13800138000", "13800138000", "86"},
		{"+1 2025550123", "+1 2025550123", "2025550123", "1"},
	} {
		code, err := e.sim.PhoneCode(appID, "openid-1", tt.phone)
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.c.PhoneNumber(ctx, appID, "openid-1", code)
		if err != nil {
			t.Fatalf("PhoneNumber(%s): %v", tt.phone, err)
		}
		if p.PurePhoneNumber != tt.pure || p.CountryCode != tt.country || p.PhoneNumber != tt.number {
			t.Fatalf("PhoneNumber(%s) = %+v", tt.phone, p)
		}
		if _, err := e.c.PhoneNumber(ctx, appID, "openid-1", code); miniauth.ErrorCode(err) != miniauth.EInvalidCode {
			t.Fatalf("used phone code: %v", err)
		}
	}
	if strings.Contains(e.logs.String(), "13800138000") {
		t.Fatal("a phone number was logged")
	}
}

// TestSimPhone40001: someone else force-refreshes the stable token, killing
// ours: the phone call gets 40001, the client forces one refresh of its own
// and retries once.
func TestSimPhone40001(t *testing.T) {
	t.Parallel()
	clock := newClock()
	e := newSimEnv(t, func(o *wechat.Options) { o.Now = clock.Now })
	ctx := context.Background()
	t1, err := e.c.AccessToken(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"grant_type":"client_credential","appid":%q,"secret":%q,"force_refresh":true}`, appID, secret)
	resp, err := http.Post(e.base+"/cgi-bin/stable_token", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	clock.Advance(31 * time.Second) // WeChat's 30 s between forced refreshes

	code, err := e.sim.PhoneCode(appID, "openid-1", "13800138000")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.c.PhoneNumber(ctx, appID, "openid-1", code)
	if err != nil || p.PurePhoneNumber != "13800138000" {
		t.Fatalf("PhoneNumber: %+v, %v", p, err)
	}
	st := e.sim.Stats()
	if st.Calls["wxa/business/getuserphonenumber"] != 2 || st.Calls["cgi-bin/stable_token"] != 3 {
		t.Fatalf("calls = %v; want 2 phone calls and 3 stable_token (ours, theirs, our forced one)", st.Calls)
	}
	if t2, _ := e.c.AccessToken(ctx, appID); t2 == t1 {
		t.Fatal("still using the dead token")
	}
}

func TestSimWrongSecret(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, nil)
	c, err := wechat.New(wechat.Options{BaseURL: e.base, Apps: map[string]string{appID: "wrongsecret"}, Logger: newJSONLogger(e.logs)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Code2Session(context.Background(), appID, e.loginCode(t, ""))
	if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable || miniauth.ErrorMessage(err) != "wechat answered errcode 40125" {
		t.Fatalf("got %v", err)
	}
	_, err = c.AccessToken(context.Background(), appID)
	var ce *wechat.CallError
	if !errors.As(err, &ce) || ce.Endpoint != "cgi-bin/stable_token" || ce.ErrCode == 0 {
		t.Fatalf("AccessToken with a wrong secret: %v", err)
	}
	if strings.Contains(e.logs.String(), "wrongsecret") {
		t.Fatal("secret logged")
	}
}

// BenchmarkCode2Session logs in through the simulator over loopback HTTP,
// from parallel goroutines, as the load benchmark does.
func BenchmarkCode2Session(b *testing.B) {
	e := newSimEnv(b, func(o *wechat.Options) { o.Logger = nil })
	codes := make(chan string, b.N)
	for range b.N {
		code, _, err := e.sim.LoginCode(appID, "", "")
		if err != nil {
			b.Fatal(err)
		}
		codes <- code
	}
	close(codes)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.c.Code2Session(context.Background(), appID, <-codes); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAccessToken is the hot path of the token manager: a valid local
// copy.
func BenchmarkAccessToken(b *testing.B) {
	e := newSimEnv(b, nil)
	if _, err := e.c.AccessToken(context.Background(), appID); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.c.AccessToken(context.Background(), appID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
