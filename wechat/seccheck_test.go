package wechat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/wxsim"
)

func TestSimCheckProfileText(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	code, openID, err := e.sim.LoginCode(appID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Code2Session(ctx, appID, code); err != nil {
		t.Fatal(err)
	}
	if pass, err := e.c.CheckProfileText(ctx, appID, openID, "小明🐱"); err != nil || !pass {
		t.Fatalf("a clean nickname: %v, %v", pass, err)
	}
	if pass, err := e.c.CheckProfileText(ctx, appID, openID, "the "+wxsim.DefaultRiskyWord); err != nil || pass {
		t.Fatalf("a risky nickname: %v, %v", pass, err)
	}

	// WeChat's failures map as for every other call.
	for _, tt := range []struct {
		fault wxsim.Fault
		code  string
	}{
		{wxsim.Fault{ErrCode: -1}, miniauth.EUpstreamUnavailable},
		{wxsim.Fault{ErrCode: 45011}, miniauth.ERateLimited},
		{wxsim.Fault{HTTPStatus: 502}, miniauth.EUpstreamUnavailable},
		{wxsim.Fault{RawBody: "{not json"}, miniauth.EUpstreamUnavailable},
		{wxsim.Fault{RawBody: `{"errcode":0,"errmsg":"ok"}`}, miniauth.EUpstreamUnavailable},
	} {
		tt.fault.Endpoint = "wxa/msg_sec_check"
		if err := e.sim.AddFault(tt.fault); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.CheckProfileText(ctx, appID, openID, "x"); miniauth.ErrorCode(err) != tt.code {
			t.Errorf("fault %+v: %v; want %s", tt.fault, err, tt.code)
		}
	}

	// A token WeChat calls invalid is replaced once and the call retried.
	if err := e.sim.AddFault(wxsim.Fault{Endpoint: "wxa/msg_sec_check", ErrCode: 40001}); err != nil {
		t.Fatal(err)
	}
	before := e.calls("wxa/msg_sec_check")
	if pass, err := e.c.CheckProfileText(ctx, appID, openID, "fine"); err != nil || !pass {
		t.Fatalf("after 40001: %v, %v", pass, err)
	}
	if got := e.calls("wxa/msg_sec_check") - before; got != 2 {
		t.Fatalf("%d calls after a 40001; want 2", got)
	}
	if strings.Contains(e.logs.String(), "access_token=") {
		t.Fatal("an access token reached the log")
	}
}
