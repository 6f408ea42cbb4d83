package wechat_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/wechat"
)

const (
	appID  = "wxtestapp0000001"
	secret = "S3CRETs3cretS3CRETs3cret01234567"
)

var testApps = map[string]string{appID: secret}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	fake *fakeWeChat
	c    *wechat.Client
	reg  *prometheus.Registry
	logs *syncBuffer
}

func newEnv(t testing.TB, mod func(*wechat.Options)) *env {
	t.Helper()
	fake := newFake(t, testApps, nil)
	e := &env{fake: fake, reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	opts := wechat.Options{
		BaseURL:    fake.URL,
		Apps:       testApps,
		Timeout:    2 * time.Second,
		Registerer: e.reg,
		Logger:     slog.New(slog.NewJSONHandler(e.logs, nil)),
	}
	if mod != nil {
		mod(&opts)
	}
	if opts.Now != nil {
		fake.now = opts.Now
	}
	c, err := wechat.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.c = c
	return e
}

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
	code := e.fake.loginCode("openid-1")
	s, err := e.c.Code2Session(context.Background(), appID, code)
	if err != nil {
		t.Fatalf("Code2Session: %v", err)
	}
	if s.OpenID != "openid-1" || s.UnionID != "UNION-openid-1" || s.SessionKey == "" {
		t.Fatalf("session = %+v", s)
	}
	if got := metricValue(t, e.reg, "miniauth_wechat_calls_total", map[string]string{"endpoint": "sns/jscode2session", "errcode": "0"}); got != 1 {
		t.Fatalf("calls_total{errcode=0} = %v, want 1", got)
	}
	if got := metricValue(t, e.reg, "miniauth_wechat_call_duration_seconds", map[string]string{"endpoint": "sns/jscode2session"}); got != 1 {
		t.Fatalf("duration samples = %v, want 1", got)
	}
	// The code is single use: WeChat says 40163, which is an invalid code.
	_, err = e.c.Code2Session(context.Background(), appID, code)
	if miniauth.ErrorCode(err) != miniauth.EInvalidCode {
		t.Fatalf("reused code: got %v, want %s", err, miniauth.EInvalidCode)
	}
}

func TestCode2SessionErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		fault   fault
		appID   string
		code    string
		want    string
		label   string // errcode label of calls_total; "" when no call is made
		message string
	}{
		{name: "40029", fault: fault{errcode: 40029}, want: miniauth.EInvalidCode, label: "40029"},
		{name: "40163", fault: fault{errcode: 40163}, want: miniauth.EInvalidCode, label: "40163"},
		{name: "40226", fault: fault{errcode: 40226}, want: miniauth.EUserBlocked, label: "40226"},
		{name: "45011", fault: fault{errcode: 45011}, want: miniauth.ERateLimited, label: "45011"},
		{name: "busy", fault: fault{errcode: -1}, want: miniauth.EUpstreamUnavailable, label: "-1"},
		{name: "other errcode", fault: fault{errcode: 40125}, want: miniauth.EUpstreamUnavailable, label: "40125", message: "wechat answered errcode 40125"},
		{name: "status 502", fault: fault{status: 502, body: "bad gateway"}, want: miniauth.EUpstreamUnavailable, label: "http_error"},
		{name: "bad json", fault: fault{body: "<html>not json"}, want: miniauth.EUpstreamUnavailable, label: "bad_json"},
		{name: "no openid", fault: fault{body: `{"session_key":"x"}`}, want: miniauth.EUpstreamUnavailable, label: "bad_json"},
		{name: "unknown appid", appID: "wxunknown", want: miniauth.EInvalidRequest},
		{name: "empty code", code: "-", want: miniauth.EInvalidCode},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			code := e.fake.loginCode("openid-1")
			switch tt.code {
			case "-":
				code = ""
			case "":
			default:
				code = tt.code
			}
			app := appID
			if tt.appID != "" {
				app = tt.appID
			}
			e.fake.fault("sns/jscode2session", tt.fault, 1)
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
			wantCalls := 1
			if tt.label == "" {
				wantCalls = 0
			} else if got := metricValue(t, e.reg, "miniauth_wechat_calls_total", map[string]string{"endpoint": "sns/jscode2session", "errcode": tt.label}); got != 1 {
				t.Fatalf("calls_total{errcode=%s} = %v, want 1", tt.label, got)
			}
			// Never retried: a code is single use.
			if got := e.fake.count("sns/jscode2session"); got != wantCalls {
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
	e.fake.fault("sns/jscode2session", fault{errcode: 40226}, 1)
	_, err := e.c.Code2Session(context.Background(), appID, "somecode")
	var ce *wechat.CallError
	if !errors.As(err, &ce) || ce.ErrCode != 40226 || ce.RID != "rid-40226-abc" || ce.Endpoint != "sns/jscode2session" {
		t.Fatalf("cause = %#v (%v)", ce, err)
	}
	if !strings.Contains(e.logs.String(), `"rid":"rid-40226-abc"`) || !strings.Contains(e.logs.String(), `"errcode":"40226"`) {
		t.Fatalf("log line lacks rid or errcode: %s", e.logs.String())
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	e := newEnv(t, func(o *wechat.Options) { o.Timeout = timeout })
	e.fake.fault("sns/jscode2session", fault{delay: 10 * time.Second}, 1)
	code := e.fake.loginCode("openid-1")
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
	if got := e.fake.count("sns/jscode2session"); got != 1 {
		t.Fatalf("jscode2session calls = %d, want 1 (no retry)", got)
	}
	if strings.Contains(err.Error(), code) || strings.Contains(e.logs.String(), code) {
		t.Fatal("code leaked")
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	fake := newFake(t, testApps, nil)
	url := fake.URL
	c, err := wechat.New(wechat.Options{BaseURL: url + "/nothing-here", Apps: testApps})
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

// TestNoSecretsInErrorsOrLogs runs every kind of failure and checks that no
// secret, code, token, session_key or phone number shows up.
func TestNoSecretsInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *wechat.Options) { o.Timeout = 300 * time.Millisecond })
	ctx := context.Background()
	var errs []error
	for _, fl := range []fault{{errcode: 40029}, {errcode: -1}, {status: 500}, {body: "{"}, {delay: 5 * time.Second}} {
		e.fake.fault("sns/jscode2session", fl, 1)
		e.fake.fault("wxa/business/getuserphonenumber", fl, 1)
		_, err := e.c.Code2Session(ctx, appID, e.fake.loginCode("openid-1"))
		errs = append(errs, err)
		_, err = e.c.PhoneNumber(ctx, appID, "openid-1", e.fake.phoneCode("13800138000"))
		errs = append(errs, err)
	}
	for _, fl := range []fault{{errcode: 40125}, {status: 503}, {body: "nope"}} {
		e.fake.fault("cgi-bin/stable_token", fl, 1)
		c, err := wechat.New(wechat.Options{BaseURL: e.fake.URL, Apps: testApps, Logger: slog.New(slog.NewJSONHandler(e.logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.AccessToken(ctx, appID)
		errs = append(errs, err)
	}
	tok, err := e.c.AccessToken(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.mu.Lock()
	codes := []string{}
	for c := range e.fake.loginCodes {
		codes = append(codes, c)
	}
	for c := range e.fake.phoneCodes {
		codes = append(codes, c)
	}
	e.fake.mu.Unlock()
	forbidden := append([]string{secret, tok, "SESSIONKEY", "13800138000", "ACCESSTOKEN"}, codes...)
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
// server, at once in one process: the SDK's HTTP seam is process-wide.
func TestClientsWithDifferentBaseURLs(t *testing.T) {
	t.Parallel()
	a := newEnv(t, nil)
	b := newEnv(t, nil)
	var wg sync.WaitGroup
	for i := range 50 {
		for _, e := range []*env{a, b} {
			wg.Go(func() {
				code := e.fake.loginCode(fmt.Sprintf("openid-%s-%d", e.fake.URL, i))
				s, err := e.c.Code2Session(context.Background(), appID, code)
				if err != nil {
					t.Errorf("Code2Session: %v", err)
					return
				}
				if !strings.Contains(s.OpenID, e.fake.URL) {
					t.Errorf("openid %q came from the wrong server", s.OpenID)
				}
			})
		}
	}
	wg.Wait()
	if a.fake.count("sns/jscode2session") != 50 || b.fake.count("sns/jscode2session") != 50 {
		t.Fatalf("calls: a=%d b=%d, want 50 each", a.fake.count("sns/jscode2session"), b.fake.count("sns/jscode2session"))
	}
}

func TestBaseURLWithPath(t *testing.T) {
	t.Parallel()
	fake := newFake(t, testApps, nil)
	// A prefix the fake does not serve: the call must reach <base>/<path>.
	c, err := wechat.New(wechat.Options{BaseURL: fake.URL + "/_wxsim", Apps: testApps})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Code2Session(context.Background(), appID, "x")
	if got := fake.count("_wxsim/sns/jscode2session"); got != 1 {
		t.Fatalf("calls to /_wxsim/sns/jscode2session = %d", got)
	}
}

func TestPhoneNumber(t *testing.T) {
	t.Parallel()
	for _, numeric := range []bool{false, true} {
		e := newEnv(t, nil)
		e.fake.numericCC = numeric
		p, err := e.c.PhoneNumber(context.Background(), appID, "openid-1", e.fake.phoneCode("13800138000"))
		if err != nil {
			t.Fatalf("PhoneNumber: %v", err)
		}
		if p.PurePhoneNumber != "13800138000" || p.CountryCode != "86" {
			t.Fatalf("phone = %+v", p)
		}
	}
}

func TestPhoneNumberErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		fault  fault
		openID string
		code   string
		want   string
	}{
		{name: "invalid code", code: "unknown", want: miniauth.EInvalidCode},
		{name: "rate limited", fault: fault{errcode: 45011}, want: miniauth.ERateLimited},
		{name: "busy", fault: fault{errcode: -1}, want: miniauth.EUpstreamUnavailable},
		{name: "47001", fault: fault{errcode: 47001}, want: miniauth.EUpstreamUnavailable},
		{name: "status", fault: fault{status: 502}, want: miniauth.EUpstreamUnavailable},
		{name: "bad json", fault: fault{body: "]"}, want: miniauth.EUpstreamUnavailable},
		{name: "no openid", openID: "-", want: miniauth.EInvalidRequest},
		{name: "no code", code: "-", want: miniauth.EInvalidCode},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			code, openID := e.fake.phoneCode("13800138000"), "openid-1"
			if tt.code == "-" {
				code = ""
			} else if tt.code != "" {
				code = tt.code
			}
			if tt.openID == "-" {
				openID = ""
			}
			e.fake.fault("wxa/business/getuserphonenumber", tt.fault, 1)
			_, err := e.c.PhoneNumber(context.Background(), appID, openID, code)
			if got := miniauth.ErrorCode(err); got != tt.want {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// Test40001RefreshesOnceAndRetriesOnce: WeChat rejects the token the client
// holds; the client forces one refresh and retries the call once.
func Test40001RefreshesOnceAndRetriesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	tok, err := e.c.AccessToken(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.mu.Lock()
	e.fake.phoneReject[tok] = 40001
	e.fake.mu.Unlock()

	// One call: rejected, one forced refresh, one retry.
	if p, err := e.c.PhoneNumber(ctx, appID, "openid-1", e.fake.phoneCode("13800138000")); err != nil || p.PurePhoneNumber != "13800138000" {
		t.Fatalf("PhoneNumber: %v %v", p, err)
	}
	if got := e.fake.forcedCount(); got != 1 {
		t.Fatalf("forced refreshes = %d, want 1", got)
	}
	if got := e.fake.count("wxa/business/getuserphonenumber"); got != 2 {
		t.Fatalf("phone calls = %d, want 2 (the call, then one retry)", got)
	}
	if got := metricValue(t, e.reg, "miniauth_wechat_access_token_refreshes_total", map[string]string{"appid": appID, "kind": "forced"}); got != 1 {
		t.Fatalf("refreshes_total{forced} = %v", got)
	}
	tok2, _ := e.c.AccessToken(ctx, appID)
	if tok2 == tok {
		t.Fatal("the rejected token is still in use")
	}
}

// Test40001Concurrent: many calls at once get 40001 for the same token; one
// forced refresh serves them all, and each call is retried at most once.
func Test40001Concurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	tok, err := e.c.AccessToken(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.mu.Lock()
	e.fake.phoneReject[tok] = 40001
	e.fake.mu.Unlock()
	const n = 50
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			p, err := e.c.PhoneNumber(ctx, appID, "openid-1", e.fake.phoneCode("13800138000"))
			if err != nil || p.PurePhoneNumber != "13800138000" {
				t.Errorf("PhoneNumber: %v %v", p, err)
			}
		})
	}
	wg.Wait()
	if got := e.fake.forcedCount(); got != 1 {
		t.Fatalf("forced refreshes = %d, want 1", got)
	}
	calls := e.fake.count("wxa/business/getuserphonenumber")
	rejected := int(metricValue(t, e.reg, "miniauth_wechat_calls_total", map[string]string{"endpoint": "wxa/business/getuserphonenumber", "errcode": "40001"}))
	if calls-rejected != n || rejected > n || rejected < 1 {
		t.Fatalf("phone calls = %d with %d rejected; want %d successes and at most one retry each", calls, rejected, n)
	}
}

// TestRetryOnlyOnce: a token rejected even after the refresh is an error, not
// a loop.
func TestRetryOnlyOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fake.fault("wxa/business/getuserphonenumber", fault{errcode: 42001}, 5)
	_, err := e.c.PhoneNumber(context.Background(), appID, "openid-1", e.fake.phoneCode("13800138000"))
	if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable || miniauth.ErrorMessage(err) != "wechat answered errcode 42001" {
		t.Fatalf("got %v", err)
	}
	if got := e.fake.count("wxa/business/getuserphonenumber"); got != 2 {
		t.Fatalf("phone calls = %d, want 2", got)
	}
}

func newJSONLogger(w *syncBuffer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
