package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/wechat"
	"github.com/miniauth/miniauth/wxsim"
)

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts wechat.Options
		want string
	}{
		{"no apps", wechat.Options{}, "no app configured"},
		{"bad base URL", wechat.Options{Apps: testApps, BaseURL: "ftp://x"}, "base URL"},
		{"base URL with query", wechat.Options{Apps: testApps, BaseURL: "http://x/?a=b"}, "base URL"},
		{"negative timeout", wechat.Options{Apps: testApps, Timeout: -time.Second}, "timeout"},
		{"bad mode", wechat.Options{Apps: testApps, TokenMode: "fast"}, "token mode"},
		{"empty appid", wechat.Options{Apps: map[string]string{"": "s"}}, "appid"},
		{"appid with ampersand", wechat.Options{Apps: map[string]string{"wx&x=1": "s"}}, "appid"},
		{"empty secret", wechat.Options{Apps: map[string]string{"wx1": ""}}, "secret of appid"},
		{"negative refresh ahead", wechat.Options{Apps: testApps, RefreshAhead: -1}, "refresh ahead"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := wechat.New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: got %v, want an error about %q", err, tt.want)
			}
			if strings.Contains(fmt.Sprint(err), secret) {
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}
}

func TestCode2Session(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	code := e.loginCode(t, "openid-1")
	s, err := e.c.Code2Session(context.Background(), appID, code)
	if err != nil {
		t.Fatalf("Code2Session: %v", err)
	}
	key, _ := e.sim.SessionKey(appID, "openid-1")
	if s.OpenID != "openid-1" || s.UnionID != "UNION-openid-1" || s.SessionKey != key || key == "" {
		t.Fatalf("session = %+v, want openid-1 and the simulator's session key", s)
	}
	if got := metricValue(t, e.reg, "miniauth_wechat_calls_total", map[string]string{"endpoint": "sns/jscode2session", "errcode": "0"}); got != 1 {
		t.Fatalf("calls_total{errcode=0} = %v, want 1", got)
	}
	if got := metricValue(t, e.reg, "miniauth_wechat_call_duration_seconds", map[string]string{"endpoint": "sns/jscode2session"}); got != 1 {
		t.Fatalf("duration samples = %v, want 1", got)
	}
	// The code is single use (WeChat says 40163), and an unknown one is
	// 40029: both are an invalid code.
	for name, c := range map[string]string{"used": code, "unknown": "nosuchcode"} {
		if _, err := e.c.Code2Session(context.Background(), appID, c); miniauth.ErrorCode(err) != miniauth.EInvalidCode {
			t.Fatalf("%s code: %v, want %s", name, err, miniauth.EInvalidCode)
		}
	}
}

func TestCode2SessionErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		fault   wxsim.Fault
		appID   string
		code    string
		want    string
		label   string // errcode label of calls_total; "" when no call is made
		message string
	}{
		{name: "40029", fault: wxsim.Fault{ErrCode: 40029}, want: miniauth.EInvalidCode, label: "40029"},
		{name: "40163", fault: wxsim.Fault{ErrCode: 40163}, want: miniauth.EInvalidCode, label: "40163"},
		{name: "40226", fault: wxsim.Fault{ErrCode: 40226}, want: miniauth.EUserBlocked, label: "40226"},
		{name: "45011", fault: wxsim.Fault{ErrCode: 45011}, want: miniauth.ERateLimited, label: "45011"},
		{name: "busy", fault: wxsim.Fault{ErrCode: -1}, want: miniauth.EUpstreamUnavailable, label: "-1"},
		{name: "other errcode", fault: wxsim.Fault{ErrCode: 40125}, want: miniauth.EUpstreamUnavailable, label: "40125", message: "wechat answered errcode 40125"},
		{name: "status 502", fault: wxsim.Fault{HTTPStatus: 502, RawBody: "bad gateway"}, want: miniauth.EUpstreamUnavailable, label: "http_error"},
		{name: "bad json", fault: wxsim.Fault{RawBody: "<html>not json"}, want: miniauth.EUpstreamUnavailable, label: "bad_json"},
		{name: "no openid", fault: wxsim.Fault{RawBody: `{"session_key":"x"}`}, want: miniauth.EUpstreamUnavailable, label: "bad_json"},
		{name: "unknown appid", appID: "wxunknown", want: miniauth.EInvalidRequest},
		{name: "empty code", code: "-", want: miniauth.EInvalidCode},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			code := e.loginCode(t, "openid-1")
			if tt.code == "-" {
				code = ""
			}
			app := appID
			if tt.appID != "" {
				app = tt.appID
			}
			e.fault(t, "sns/jscode2session", tt.fault)
			_, err := e.c.Code2Session(context.Background(), app, code)
			if got := miniauth.ErrorCode(err); got != tt.want {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.want)
			}
			// Codes survive wrapping.
			if got := miniauth.ErrorCode(fmt.Errorf("login: %w", err)); got != tt.want {
				t.Fatalf("wrapped code = %q, want %q", got, tt.want)
			}
			if tt.message != "" && miniauth.ErrorMessage(err) != tt.message {
				t.Fatalf("message = %q, want %q", miniauth.ErrorMessage(err), tt.message)
			}
			var wantCalls int64 = 1
			if tt.label == "" {
				wantCalls = 0
			} else if got := metricValue(t, e.reg, "miniauth_wechat_calls_total", map[string]string{"endpoint": "sns/jscode2session", "errcode": tt.label}); got != 1 {
				t.Fatalf("calls_total{errcode=%s} = %v, want 1", tt.label, got)
			}
			// Never retried: a code is single use.
			if got := e.calls("sns/jscode2session"); got != wantCalls {
				t.Fatalf("jscode2session calls = %d, want %d", got, wantCalls)
			}
			for _, s := range []string{err.Error(), e.logs.String()} {
				if strings.Contains(s, secret) || (code != "" && strings.Contains(s, code)) {
					t.Fatalf("secret or code leaked: %s", s)
				}
			}
		})
	}
}

func TestCallErrorCarriesErrcode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fault(t, "sns/jscode2session", wxsim.Fault{ErrCode: 40226})
	_, err := e.c.Code2Session(context.Background(), appID, "somecode")
	var ce *wechat.CallError
	if !errors.As(err, &ce) || ce.ErrCode != 40226 || ce.RID == "" || ce.Endpoint != "sns/jscode2session" {
		t.Fatalf("cause = %#v (%v)", ce, err)
	}
	if !strings.Contains(e.logs.String(), `"rid":"`+ce.RID+`"`) || !strings.Contains(e.logs.String(), `"errcode":"40226"`) {
		t.Fatalf("log line lacks rid or errcode: %s", e.logs.String())
	}
}

// TestTimeout: WeChat processes the call but answers late. The client gives
// up at its timeout and does not retry: the code is used now.
func TestTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	e := newEnv(t, func(o *wechat.Options) { o.Timeout = timeout })
	e.fault(t, "sns/jscode2session", wxsim.Fault{Delay: 10 * time.Second})
	code := e.loginCode(t, "openid-1")
	start := time.Now()
	_, err := e.c.Code2Session(context.Background(), appID, code)
	elapsed := time.Since(start)
	if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Fatalf("got %v, want %s", err, miniauth.EUpstreamUnavailable)
	}
	if elapsed < timeout || elapsed > timeout+time.Second {
		t.Fatalf("failed after %v, want about %v", elapsed, timeout)
	}
	t.Logf("timeout %v answered after %v", timeout, elapsed)
	var ce *wechat.CallError
	if !errors.As(err, &ce) || ce.Kind != "timeout" {
		t.Fatalf("cause = %#v", ce)
	}
	if got := metricValue(t, e.reg, "miniauth_wechat_calls_total", map[string]string{"endpoint": "sns/jscode2session", "errcode": "timeout"}); got != 1 {
		t.Fatalf("calls_total{errcode=timeout} = %v", got)
	}
	if got := e.calls("sns/jscode2session"); got != 1 {
		t.Fatalf("jscode2session calls = %d, want 1 (no retry)", got)
	}
	if strings.Contains(err.Error(), code) || strings.Contains(e.logs.String(), code) {
		t.Fatal("code leaked")
	}
	if _, err := e.c.Code2Session(context.Background(), appID, code); miniauth.ErrorCode(err) != miniauth.EInvalidCode {
		t.Fatalf("the code should be used up: %v", err)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c, err := wechat.New(wechat.Options{BaseURL: e.root + "/nothing-here", Apps: testApps})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Code2Session(context.Background(), appID, "c")
	if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable {
		t.Fatalf("got %v", err)
	}
	var ce *wechat.CallError
	if !errors.As(err, &ce) || ce.Kind != "status 404" {
		t.Fatalf("cause = %#v", ce)
	}
}

func TestWrongSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.newClient(t, wechat.Options{Apps: map[string]string{appID: "wrongsecret"}, Logger: newJSONLogger(e.logs)})
	_, err := c.Code2Session(context.Background(), appID, e.loginCode(t, ""))
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

// TestNoSecretsInErrorsOrLogs runs every kind of failure and checks that no
// secret, code, token, session_key or phone number shows up.
func TestNoSecretsInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *wechat.Options) { o.Timeout = 300 * time.Millisecond })
	ctx := context.Background()
	var errs []error
	var codes []string
	for _, fl := range []wxsim.Fault{{ErrCode: 40029}, {ErrCode: -1}, {HTTPStatus: 500}, {RawBody: "{"}, {Delay: 5 * time.Second}} {
		e.fault(t, "sns/jscode2session", fl)
		e.fault(t, "wxa/business/getuserphonenumber", fl)
		login, phone := e.loginCode(t, "openid-1"), e.phoneCode(t, "13800138000")
		codes = append(codes, login, phone)
		_, err := e.c.Code2Session(ctx, appID, login)
		errs = append(errs, err)
		_, err = e.c.PhoneNumber(ctx, appID, "openid-1", phone)
		errs = append(errs, err)
	}
	for _, fl := range []wxsim.Fault{{ErrCode: 40125}, {HTTPStatus: 503}, {RawBody: "nope"}} {
		e.fault(t, "cgi-bin/stable_token", fl)
		c := e.newClient(t, wechat.Options{Apps: testApps, Logger: newJSONLogger(e.logs)})
		_, err := c.AccessToken(ctx, appID)
		errs = append(errs, err)
	}
	tok, err := e.c.AccessToken(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	// The delayed login was processed: the simulator holds its session key.
	key, ok := e.sim.SessionKey(appID, "openid-1")
	if !ok {
		t.Fatal("no session key was issued")
	}
	forbidden := append([]string{secret, tok, key, "13800138000"}, codes...)
	texts := []string{e.logs.String()}
	for _, err := range errs {
		if err == nil {
			t.Fatal("a failure was not reported")
		}
		texts = append(texts, err.Error(), miniauth.ErrorMessage(err))
	}
	for _, s := range texts {
		for _, f := range forbidden {
			if strings.Contains(s, f) {
				t.Fatalf("%q leaked in %q", f, s)
			}
		}
	}
	if !strings.Contains(e.logs.String(), "wechat call failed") {
		t.Fatal("failed calls were not logged")
	}
}

// TestClientsWithDifferentBaseURLs runs two Clients, each with its own
// simulator, at once in one process: the SDK's HTTP seam is process-wide.
func TestClientsWithDifferentBaseURLs(t *testing.T) {
	t.Parallel()
	a, b := newEnv(t, nil), newEnv(t, nil)
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
