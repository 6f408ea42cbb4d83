package wechat_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/wxsim"
)

func TestPhoneNumber(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, tt := range []struct {
		phone                 string
		number, pure, country string
	}{
		{"13800138000", "+86 13800138000", "13800138000", "86"},
		{"+1 2025550123", "+1 2025550123", "2025550123", "1"},
	} {
		code := e.phoneCode(t, tt.phone)
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

// TestPhoneNumberNumericCountryCode: WeChat has been seen to send the
// country code as a number rather than a string; both are read.
func TestPhoneNumberNumericCountryCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.fault(t, "wxa/business/getuserphonenumber", wxsim.Fault{RawBody: `{"errcode":0,"errmsg":"ok","phone_info":` +
		`{"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":86,` +
		`"watermark":{"timestamp":1700000000,"appid":"` + appID + `"}}}`})
	p, err := e.c.PhoneNumber(context.Background(), appID, "openid-1", e.phoneCode(t, "13800138000"))
	if err != nil {
		t.Fatalf("PhoneNumber: %v", err)
	}
	if p.PurePhoneNumber != "13800138000" || p.CountryCode != "86" {
		t.Fatalf("phone = %+v", p)
	}
}

func TestPhoneNumberErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		fault  wxsim.Fault
		openID string
		code   string
		want   string
	}{
		{name: "invalid code", code: "unknown", want: miniauth.EInvalidCode},
		{name: "rate limited", fault: wxsim.Fault{ErrCode: 45011}, want: miniauth.ERateLimited},
		{name: "busy", fault: wxsim.Fault{ErrCode: -1}, want: miniauth.EUpstreamUnavailable},
		{name: "47001", fault: wxsim.Fault{ErrCode: 47001}, want: miniauth.EUpstreamUnavailable},
		{name: "status", fault: wxsim.Fault{HTTPStatus: 502}, want: miniauth.EUpstreamUnavailable},
		{name: "bad json", fault: wxsim.Fault{RawBody: "]"}, want: miniauth.EUpstreamUnavailable},
		{name: "no openid", openID: "-", want: miniauth.EInvalidRequest},
		{name: "no code", code: "-", want: miniauth.EInvalidCode},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			code, openID := e.phoneCode(t, "13800138000"), "openid-1"
			if tt.code == "-" {
				code = ""
			} else if tt.code != "" {
				code = tt.code
			}
			if tt.openID == "-" {
				openID = ""
			}
			e.fault(t, "wxa/business/getuserphonenumber", tt.fault)
			_, err := e.c.PhoneNumber(context.Background(), appID, openID, code)
			if got := miniauth.ErrorCode(err); got != tt.want {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// Test40001RefreshesOnceAndRetriesOnce: someone else force-refreshes the
// stable token, killing ours: the phone call gets 40001, the client forces
// one refresh of its own and retries the call once.
func Test40001RefreshesOnceAndRetriesOnce(t *testing.T) {
	t.Parallel()
	e, clock, tok := newClockedEnv(t)
	ctx := context.Background()
	e.killToken(t)
	clock.Advance(wxsim.ForceRefreshGap + time.Second) // WeChat's gap between forced refreshes

	if p, err := e.c.PhoneNumber(ctx, appID, "openid-1", e.phoneCode(t, "13800138000")); err != nil || p.PurePhoneNumber != "13800138000" {
		t.Fatalf("PhoneNumber: %v %v", p, err)
	}
	if got := e.forced(); got != 2 {
		t.Fatalf("forced refreshes = %d, want 2 (theirs, then ours)", got)
	}
	st := e.sim.Stats()
	if st.Calls["wxa/business/getuserphonenumber"] != 2 || st.Calls["cgi-bin/stable_token"] != 3 {
		t.Fatalf("calls = %v; want 2 phone calls (the call, one retry) and 3 stable_token (ours, theirs, our forced one)", st.Calls)
	}
	if got := metricValue(t, e.reg, "miniauth_wechat_access_token_refreshes_total", map[string]string{"appid": appID, "kind": "forced"}); got != 1 {
		t.Fatalf("refreshes_total{forced} = %v", got)
	}
	if tok2, _ := e.c.AccessToken(ctx, appID); tok2 == tok {
		t.Fatal("the rejected token is still in use")
	}
}

// Test40001Concurrent: many calls at once get 40001 for the same token; one
// forced refresh serves them all, and each call is retried at most once.
func Test40001Concurrent(t *testing.T) {
	t.Parallel()
	e, clock, _ := newClockedEnv(t)
	ctx := context.Background()
	e.killToken(t)
	clock.Advance(wxsim.ForceRefreshGap + time.Second)
	const n = 50
	codes := make([]string, n)
	for i := range codes {
		codes[i] = e.phoneCode(t, "13800138000")
	}
	var wg sync.WaitGroup
	for _, code := range codes {
		wg.Go(func() {
			p, err := e.c.PhoneNumber(ctx, appID, "openid-1", code)
			if err != nil || p.PurePhoneNumber != "13800138000" {
				t.Errorf("PhoneNumber: %v %v", p, err)
			}
		})
	}
	wg.Wait()
	if got := e.forced(); got != 2 {
		t.Fatalf("forced refreshes = %d, want 2 (theirs, then one of ours)", got)
	}
	calls := int(e.calls("wxa/business/getuserphonenumber"))
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
	e.fault(t, "wxa/business/getuserphonenumber", wxsim.Fault{ErrCode: 42001, Count: 5})
	_, err := e.c.PhoneNumber(context.Background(), appID, "openid-1", e.phoneCode(t, "13800138000"))
	if miniauth.ErrorCode(err) != miniauth.EUpstreamUnavailable || miniauth.ErrorMessage(err) != "wechat answered errcode 42001" {
		t.Fatalf("got %v", err)
	}
	if got := e.calls("wxa/business/getuserphonenumber"); got != 2 {
		t.Fatalf("phone calls = %d, want 2", got)
	}
}
