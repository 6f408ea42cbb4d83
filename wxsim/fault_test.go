package wxsim_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/miniauth/miniauth/wxsim"
)

func (e *env) addFault(body string) {
	e.t.Helper()
	status, b := e.do(http.MethodPost, "_sim/faults", nil, body)
	if status != http.StatusNoContent {
		e.t.Fatalf("POST _sim/faults %s: status %d %s", body, status, b)
	}
}

func TestFaultErrcodeCountAndOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, openID := e.loginCode(appA, "", "")

	e.addFault(`{"endpoint":"sns/jscode2session","errcode":-1,"count":2}`)
	e.addFault(`{"endpoint":"/sns/jscode2session","http_status":502}`)
	e.addFault(`{"endpoint":"sns/jscode2session","raw_body":"not json"}`)
	e.addFault(`{"endpoint":"sns/jscode2session","errcode":45011}`)
	// A fault on another endpoint does not touch this one.
	e.addFault(`{"endpoint":"cgi-bin/token","errcode":-1}`)

	q := url.Values{"appid": {appA}, "secret": {secretA}, "js_code": {code}, "grant_type": {"authorization_code"}}
	for i := 0; i < 2; i++ {
		wantErr(t, e.wechat(http.MethodGet, "sns/jscode2session", q, ""), -1)
	}
	if status, b := e.do(http.MethodGet, "sns/jscode2session", q, ""); status != http.StatusBadGateway || string(b) != "Bad Gateway" {
		t.Fatalf("http_status fault: %d %q", status, b)
	}
	if status, b := e.do(http.MethodGet, "sns/jscode2session", q, ""); status != http.StatusOK || string(b) != "not json" {
		t.Fatalf("raw_body fault: %d %q", status, b)
	}
	wantErr(t, e.wechat(http.MethodGet, "sns/jscode2session", q, ""), 45011)
	// Faulted calls leave the code alone.
	if m := e.wechat(http.MethodGet, "sns/jscode2session", q, ""); errcode(m) != 0 || m["openid"] != openID {
		t.Fatalf("after the faults: %v", m)
	}
	wantErr(t, e.plainToken(appA, secretA), -1)
	wantToken(t, e.plainToken(appA, secretA), 7200)

	st := e.sim.Stats()
	if st.Calls["sns/jscode2session"] != 6 || st.Calls["cgi-bin/token"] != 2 {
		t.Fatalf("calls %v: want 6 jscode2session and 2 token", st.Calls)
	}
	if st.TokensIssued != 1 {
		t.Fatalf("tokens_issued %d, want 1 (the faulted call issued none)", st.TokensIssued)
	}
}

func TestFaultHTTPStatusWithBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addFault(`{"endpoint":"cgi-bin/stable_token","http_status":503,"raw_body":"{\"oops\":1}"}`)
	status, b := e.do(http.MethodPost, "cgi-bin/stable_token", nil, `{}`)
	if status != http.StatusServiceUnavailable || string(b) != `{"oops":1}` {
		t.Fatalf("got %d %q", status, b)
	}
}

func TestFaultClearAndList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addFault(`{"endpoint":"wxa/checksession","errcode":-1,"count":5}`)
	e.addFault(`{"endpoint":"cgi-bin/token","delay_ms":1500}`)

	status, b := e.do(http.MethodGet, "_sim/faults", nil, "")
	m := decode(t, b)
	faults, _ := m["faults"].([]any)
	if status != 200 || len(faults) != 2 {
		t.Fatalf("GET _sim/faults: %d %s", status, b)
	}
	if f := faults[0].(map[string]any); f["endpoint"] != "cgi-bin/token" || f["delay_ms"] != 1500.0 || f["count"] != 1.0 {
		t.Fatalf("first listed fault %v", f)
	}

	if status, _ := e.do(http.MethodDelete, "_sim/faults", nil, ""); status != http.StatusNoContent {
		t.Fatalf("DELETE _sim/faults: %d", status)
	}
	if len(e.sim.Faults()) != 0 {
		t.Fatal("faults left after DELETE")
	}
	start := time.Now()
	wantToken(t, e.plainToken(appA, secretA), 7200)
	if time.Since(start) > time.Second {
		t.Fatal("cleared delay fault still applied")
	}
	if code := e.tokenErr("86_nope"); code != 40001 {
		t.Fatalf("cleared errcode fault still applied: %d", code)
	}

	// The Go API shares the same queue.
	if err := e.sim.AddFault(wxsim.Fault{Endpoint: "cgi-bin/token", ErrCode: 40164, Count: 2}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.plainToken(appA, secretA), 40164)
	e.sim.ClearFaults()
	wantToken(t, e.plainToken(appA, secretA), 7200)
}

func TestFaultValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name, body string
		status     int
	}{
		{"not JSON", `endpoint=x`, 400},
		{"unknown field", `{"endpoint":"cgi-bin/token","errcode":-1,"delay":3}`, 400},
		{"unknown endpoint", `{"endpoint":"sns/nope","errcode":-1}`, 400},
		{"control endpoint", `{"endpoint":"_sim/stats","errcode":-1}`, 400},
		{"missing endpoint", `{"errcode":-1}`, 400},
		{"nothing to do", `{"endpoint":"cgi-bin/token"}`, 400},
		{"errcode 0", `{"endpoint":"cgi-bin/token","errcode":0}`, 400},
		{"errcode and http_status", `{"endpoint":"cgi-bin/token","errcode":-1,"http_status":502}`, 400},
		{"errcode and raw_body", `{"endpoint":"cgi-bin/token","errcode":-1,"raw_body":"x"}`, 400},
		{"http_status out of range", `{"endpoint":"cgi-bin/token","http_status":99}`, 400},
		{"http_status 0", `{"endpoint":"cgi-bin/token","http_status":0}`, 400},
		{"empty raw_body", `{"endpoint":"cgi-bin/token","raw_body":""}`, 400},
		{"negative delay", `{"endpoint":"cgi-bin/token","delay_ms":-1}`, 400},
		{"huge delay", `{"endpoint":"cgi-bin/token","delay_ms":3600000}`, 400},
		{"count 0", `{"endpoint":"cgi-bin/token","errcode":-1,"count":0}`, 400},
		{"negative count", `{"endpoint":"cgi-bin/token","errcode":-1,"count":-2}`, 400},
		{"delay and errcode", `{"endpoint":"cgi-bin/token","errcode":-1,"delay_ms":10}`, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := e.do(http.MethodPost, "_sim/faults", nil, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, b)
			}
			if status == 400 {
				if m := decode(t, b); m["errmsg"] == "" {
					t.Fatalf("no message: %s", b)
				}
			}
		})
	}
	if n := len(e.sim.Faults()); n != 1 {
		t.Fatalf("%d faults queued, want only the valid one", n)
	}
	if err := e.sim.AddFault(wxsim.Fault{Endpoint: "nope", ErrCode: -1}); err == nil {
		t.Fatal("AddFault accepted an unknown endpoint")
	}
	if status, _ := e.do(http.MethodPut, "_sim/faults", nil, "{}"); status != http.StatusMethodNotAllowed {
		t.Fatalf("PUT _sim/faults: %d, want 405", status)
	}
}

// A delay-only fault processes the call at once and holds the answer back:
// the code is used even though the answer comes late.
func TestFaultDelay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, _ := e.loginCode(appA, "", "")
	e.addFault(`{"endpoint":"sns/jscode2session","delay_ms":200}`)
	start := time.Now()
	m := e.code2Session(appA, secretA, code)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("answered after %v, want at least 200ms", d)
	}
	if errcode(m) != 0 {
		t.Fatalf("delayed call: %v", m)
	}

	// Delay then errcode.
	e.addFault(`{"endpoint":"sns/jscode2session","delay_ms":100,"errcode":-1}`)
	start = time.Now()
	wantErr(t, e.code2Session(appA, secretA, code), -1)
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("answered after %v, want at least 100ms", d)
	}
}

// A client that gives up during a delay frees the handler at once; the call
// has had its effect (a retry finds the code used, as with real WeChat).
func TestFaultDelayHonoursContext(t *testing.T) {
	t.Parallel()
	sim := wxsim.New(wxsim.Options{})
	returned := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sim.ServeHTTP(w, r)
		if r.URL.Path == "/sns/jscode2session" {
			returned <- struct{}{}
		}
	}))
	t.Cleanup(srv.Close)

	code, _, err := sim.LoginCode(wxsim.DevAppID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.AddFault(wxsim.Fault{Endpoint: "sns/jscode2session", Delay: time.Minute}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	u := srv.URL + "/sns/jscode2session?" + url.Values{
		"appid": {wxsim.DevAppID}, "secret": {wxsim.DevSecret}, "js_code": {code}, "grant_type": {"authorization_code"},
	}.Encode()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("request answered despite a one-minute delay")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("handler still waiting after the client left")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}

	resp, err = srv.Client().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, b)
	wantErr(t, m, 40163)
}

func TestStatsAndRouting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	code, _ := e.loginCode(appA, "", "")
	e.code2Session(appA, secretA, code)
	e.code2Session(appA, secretA, code)                    // 40163
	e.code2Session(appA, "wrong", code)                    // 40125
	e.do(http.MethodPost, "sns/jscode2session", nil, "{}") // 405, still a call
	tok := e.accessToken()
	e.stableToken(appA, secretA, false)
	e.stableToken(appA, secretA, false) // same token: not counted as issued
	e.phoneNumber(tok, `{"code":"x"}`)
	e.tokenErr(tok)
	e.tokenErr(tok)

	status, b := e.do(http.MethodGet, "_sim/stats", nil, "")
	if status != 200 {
		t.Fatalf("stats: %d %s", status, b)
	}
	m := decode(t, b)
	want := map[string]float64{
		"sns/jscode2session":              4,
		"cgi-bin/token":                   1,
		"cgi-bin/stable_token":            2,
		"wxa/business/getuserphonenumber": 1,
		"wxa/checksession":                2,
		"wxa/msg_sec_check":               0,
		"wxa/getwxacodeunlimit":           0,
		// Every platform's endpoint is listed, called or not.
		"qq/sns/jscode2session":             0,
		"douyin/api/apps/v2/jscode2session": 0,
		"alipay/gateway.do":                 0,
		"baidu/oauth/jscode2sessionkey":     0,
		"kuaishou/oauth2/mp/code2session":   0,
	}
	calls, _ := m["calls"].(map[string]any)
	if len(calls) != len(want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	for k, v := range want {
		if calls[k] != v {
			t.Fatalf("calls[%s] = %v, want %v (all: %v)", k, calls[k], v, calls)
		}
	}
	if m["tokens_issued"] != 2.0 {
		t.Fatalf("tokens_issued %v, want 2", m["tokens_issued"])
	}

	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "nope", 404},
		{http.MethodGet, "", 404},
		{http.MethodGet, "_sim/nope", 404},
		{http.MethodGet, "sns/jscode2session/extra", 404},
		{http.MethodPost, "_sim/stats", 405},
		{http.MethodGet, "_sim/phone-code", 405},
		{http.MethodGet, "wxa/business/getuserphonenumber", 405},
		{http.MethodPost, "wxa/checksession", 405},
	} {
		if status, _ := e.do(tt.method, tt.path, nil, ""); status != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, status, tt.status)
		}
	}
}

// Mounted with the base's trailing slash stripped too, paths arrive without
// a leading slash; both forms work.
func TestPathWithoutLeadingSlash(t *testing.T) {
	t.Parallel()
	sim := wxsim.New(wxsim.Options{})
	mux := http.NewServeMux()
	mux.Handle("/wx/", http.StripPrefix("/wx/", sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + "/wx/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
