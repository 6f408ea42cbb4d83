package platforms_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/alipaysign"
	"github.com/miniauth/miniauth/platforms"
	"github.com/miniauth/miniauth/wxsim"
)

var (
	appKey   = sync.OnceValue(newKey) // the Alipay dev app's key pair
	otherKey = sync.OnceValue(newKey)
)

func newKey() *rsa.PrivateKey {
	k, err := alipaysign.NewKey()
	if err != nil {
		panic(err)
	}
	return k
}

// env is the real simulator on loopback, knowing every platform's dev app.
type env struct {
	sim     *wxsim.Simulator
	url     string
	gateway *rsa.PublicKey
	logs    *bytes.Buffer
	reg     *prometheus.Registry
}

func newEnv(t *testing.T) *env {
	t.Helper()
	sim := wxsim.New(wxsim.Options{PlatformApps: wxsim.DevApps(alipaysign.PublicPEM(&appKey().PublicKey))})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	gateway, err := alipaysign.ParsePublicKey(sim.AlipayGatewayPublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, url: srv.URL, gateway: gateway, logs: &bytes.Buffer{}, reg: prometheus.NewRegistry()}
}

type row struct {
	platform, appID, endpoint string
	systemError               int // the platform's own system error, as a fault's errcode
}

var rows = []row{
	{miniauth.PlatformQQ, wxsim.DevQQAppID, "sns/jscode2session", -1},
	{miniauth.PlatformDouyin, wxsim.DevDouyinAppID, "api/apps/v2/jscode2session", -1},
	{miniauth.PlatformAlipay, wxsim.DevAlipayAppID, "gateway.do", 20000},
	{miniauth.PlatformBaidu, wxsim.DevBaiduAppKey, "oauth/jscode2sessionkey", 500},
	{miniauth.PlatformKuaishou, wxsim.DevKuaishouAppID, "oauth2/mp/code2session", 2},
}

func (e *env) provider(t *testing.T, r row, edit func(*platforms.Options)) *platforms.Provider {
	t.Helper()
	opts := platforms.Options{
		Platform:   r.platform,
		AppID:      r.appID,
		Secret:     wxsim.DevSecret,
		BaseURL:    e.url + "/" + wxsim.PathPrefix(r.platform),
		Timeout:    300 * time.Millisecond,
		Registerer: e.reg,
		Logger:     slog.New(slog.NewTextHandler(e.logs, nil)),
	}
	if r.platform == miniauth.PlatformAlipay {
		opts.Secret, opts.PrivateKey, opts.AlipayPublicKey = "", appKey(), e.gateway
	}
	if edit != nil {
		edit(&opts)
	}
	p, err := platforms.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := miniauth.ErrorCode(err); got != code {
		t.Errorf("%s: %s (%v), want %s", what, got, err, code)
	}
}

// One body for every platform: a fresh code, a used one, the platform's
// system error, a timeout (one call, never retried), a non-200 and an
// undecodable answer, and an app the provider does not serve.
func TestProviders(t *testing.T) {
	for _, r := range rows {
		t.Run(r.platform, func(t *testing.T) {
			e := newEnv(t)
			p := e.provider(t, r, nil)
			ctx := context.Background()
			path := wxsim.PathPrefix(r.platform) + r.endpoint

			code, openid, _ := e.sim.LoginCode(r.appID, "", "union-1")
			s, err := p.Code2Session(ctx, r.appID, code)
			if err != nil || s.OpenID != openid {
				t.Fatalf("fresh code: %+v %v, want openid %s", s, err, openid)
			}
			if r.platform != miniauth.PlatformAlipay && s.SessionKey == "" {
				t.Error("no session key")
			}
			_, err = p.Code2Session(ctx, r.appID, code)
			wantCode(t, "used code", err, miniauth.EInvalidCode)

			faults := []wxsim.Fault{
				{Endpoint: path, ErrCode: r.systemError},
				{Endpoint: path, HTTPStatus: 502},
				{Endpoint: path, RawBody: "<html>busy</html>"},
			}
			for _, f := range faults {
				e.sim.AddFault(f)
				code, _, _ := e.sim.LoginCode(r.appID, "", "")
				_, err := p.Code2Session(ctx, r.appID, code)
				wantCode(t, "fault "+strings.TrimSpace(strings.Join(strings.Fields(fmtFault(f)), " ")), err, miniauth.EUpstreamUnavailable)
			}

			before := e.sim.Stats().Calls[path]
			e.sim.AddFault(wxsim.Fault{Endpoint: path, Delay: 2 * time.Second})
			code, _, _ = e.sim.LoginCode(r.appID, "", "")
			start := time.Now()
			_, err = p.Code2Session(ctx, r.appID, code)
			wantCode(t, "timeout", err, miniauth.EUpstreamUnavailable)
			if took := time.Since(start); took > 1500*time.Millisecond {
				t.Errorf("a 300ms timeout took %v", took)
			}
			if n := e.sim.Stats().Calls[path] - before; n != 1 {
				t.Errorf("a timed-out exchange made %d calls, want exactly 1", n)
			}

			_, err = p.Code2Session(ctx, "someone-else", "x")
			wantCode(t, "another appid", err, miniauth.EInvalidRequest)
			_, err = p.Code2Session(ctx, r.appID, "")
			wantCode(t, "empty code", err, miniauth.EInvalidCode)

			if got := counted(t, e.reg, r, "ok"); got != 1 {
				t.Errorf("ok calls counted: %v", got)
			}
			if strings.Contains(e.logs.String(), code) || strings.Contains(e.logs.String(), wxsim.DevSecret) {
				t.Errorf("a code or secret in the logs:\n%s", e.logs)
			}
		})
	}
}

func fmtFault(f wxsim.Fault) string {
	switch {
	case f.ErrCode != 0:
		return "errcode"
	case f.HTTPStatus != 0:
		return "http status"
	}
	return "raw body"
}

// counted is the value of miniauth_platform_calls_total for the row's app
// and result.
func counted(t *testing.T, reg *prometheus.Registry, r row, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "miniauth_platform_calls_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["platform"] == r.platform && labels["appid"] == r.appID && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no %s/%s counter", r.platform, result)
	return 0
}

// A provider whose credentials the platform refuses reports the platform
// unavailable (it is our configuration, not the user's code), and the error
// says nothing of the secret.
func TestWrongCredentials(t *testing.T) {
	for _, r := range rows {
		t.Run(r.platform, func(t *testing.T) {
			e := newEnv(t)
			p := e.provider(t, r, func(o *platforms.Options) {
				if o.Platform == miniauth.PlatformAlipay {
					o.PrivateKey = otherKey() // the simulator refuses the request's signature
				} else {
					o.Secret = "wrong-secret-123"
				}
			})
			code, _, _ := e.sim.LoginCode(r.appID, "", "")
			_, err := p.Code2Session(context.Background(), r.appID, code)
			wantCode(t, "wrong credentials", err, miniauth.EUpstreamUnavailable)
			if strings.Contains(err.Error(), "wrong-secret-123") || strings.Contains(err.Error(), code) {
				t.Errorf("error text leaks: %v", err)
			}
		})
	}
}

func newAlipayProvider(e *env, priv, pub any) (*platforms.Provider, error) {
	opts := platforms.Options{Platform: miniauth.PlatformAlipay, AppID: wxsim.DevAlipayAppID, BaseURL: e.url + "/alipay"}
	opts.PrivateKey, _ = priv.(*rsa.PrivateKey)
	opts.AlipayPublicKey, _ = pub.(*rsa.PublicKey)
	return platforms.New(opts)
}

// Options are checked once, at start.
func TestNewRefusesBadOptions(t *testing.T) {
	for name, opts := range map[string]platforms.Options{
		"unknown platform": {Platform: "myspace", AppID: "a", Secret: "s"},
		"weixin":           {Platform: miniauth.PlatformWeixin, AppID: "a", Secret: "s"},
		"no secret":        {Platform: miniauth.PlatformQQ, AppID: "a"},
		"no appid":         {Platform: miniauth.PlatformQQ, Secret: "s"},
		"bad base URL":     {Platform: miniauth.PlatformBaidu, AppID: "a", Secret: "s", BaseURL: "ftp://x"},
		"negative timeout": {Platform: miniauth.PlatformKuaishou, AppID: "a", Secret: "s", Timeout: -1},
	} {
		if _, err := platforms.New(opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
