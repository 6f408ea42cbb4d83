package wechat_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth/internal/testkit"
	"github.com/miniauth/miniauth/wechat"
	"github.com/miniauth/miniauth/wxsim"
)

const (
	appID  = "wxtestapp0000001"
	secret = "S3CRETs3cretS3CRETs3cret01234567"
)

var testApps = map[string]string{appID: secret}

// env is a Client on the real WeChat simulator, served in-process over
// HTTP and mounted at /_wxsim as dev mode mounts it: every test thus also
// checks that the path of a base URL is kept.
type env struct {
	sim  *wxsim.Simulator
	root string // the test server's URL
	base string // root + "/_wxsim": the Client's BaseURL
	c    *wechat.Client
	reg  *prometheus.Registry
	logs *testkit.LogBuffer
}

// newEnv starts a simulator with testApps and a Client on it. mod adjusts
// the Client's options; their Now is the simulator's clock too.
func newEnv(t testing.TB, mod func(*wechat.Options)) *env {
	t.Helper()
	e := &env{reg: prometheus.NewRegistry(), logs: &testkit.LogBuffer{}}
	opts := wechat.Options{
		Apps:       testApps,
		Timeout:    2 * time.Second,
		Registerer: e.reg,
		Logger:     newJSONLogger(e.logs),
	}
	if mod != nil {
		mod(&opts)
	}
	e.sim = wxsim.New(wxsim.Options{Apps: testApps, Now: opts.Now})
	mux := http.NewServeMux()
	mux.Handle("/_wxsim/", http.StripPrefix("/_wxsim", e.sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.root, e.base = srv.URL, srv.URL+"/_wxsim"
	opts.BaseURL = e.base
	e.c = e.newClient(t, opts)
	return e
}

// newClient returns another Client (another node) with opts on e's
// simulator.
func (e *env) newClient(t testing.TB, opts wechat.Options) *wechat.Client {
	t.Helper()
	opts.BaseURL = e.base
	c, err := wechat.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// loginCode mints a wx.login() code for openID ("" lets the simulator
// pick one) with the union id "UNION-<openid>".
func (e *env) loginCode(t testing.TB, openID string) string {
	t.Helper()
	unionID := ""
	if openID != "" {
		unionID = "UNION-" + openID
	}
	code, _, err := e.sim.LoginCode(appID, openID, unionID)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func (e *env) phoneCode(t testing.TB, phone string) string {
	t.Helper()
	code, err := e.sim.PhoneCode(appID, "openid-1", phone)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// fault queues f on endpoint; a zero f queues nothing.
func (e *env) fault(t testing.TB, endpoint string, f wxsim.Fault) {
	t.Helper()
	if f == (wxsim.Fault{}) {
		return
	}
	f.Endpoint = endpoint
	if err := e.sim.AddFault(f); err != nil {
		t.Fatal(err)
	}
}

func (e *env) calls(endpoint string) int64 { return e.sim.Stats().Calls[endpoint] }

func (e *env) forced() int64 { return e.sim.Stats().ForcedRefreshes }

// killToken has someone else force-refresh the app's stable token, as
// another deployment with the same AppID would: WeChat then answers 40001
// for the one the Client holds.
func (e *env) killToken(t testing.TB) {
	t.Helper()
	body := fmt.Sprintf(`{"grant_type":"client_credential","appid":%q,"secret":%q,"force_refresh":true}`, appID, secret)
	resp, err := http.Post(e.base+"/cgi-bin/stable_token", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func newJSONLogger(w *testkit.LogBuffer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

// metricValue returns the value of the counter or gauge name with exactly
// the given labels, or -1 when there is none.
func metricValue(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}

// newClock is a clock that tests move by hand.
// newClockedEnv is newEnv on a clock of the test's own, with the access
// token it fetched first.
func newClockedEnv(t *testing.T) (*env, *testkit.Clock, string) {
	t.Helper()
	clock := newClock()
	e := newEnv(t, func(o *wechat.Options) { o.Now = clock.Now })
	tok, err := e.c.AccessToken(context.Background(), appID)
	if err != nil {
		t.Fatal(err)
	}
	return e, clock, tok
}

func newClock() *testkit.Clock { return testkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }
