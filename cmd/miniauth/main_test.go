package main

import (
	"bytes"
	"context"
	"github.com/miniauth/miniauth/internal/testkit"
	"strings"
	"testing"
	"time"
)

func TestVersionAndUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"version"}, nil, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "miniauth ") {
		t.Errorf("version: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"frobnicate"}, nil, &out, &errOut); err == nil || !strings.Contains(errOut.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %v %q", err, errOut.String())
	}
}

func TestWrongConfigurationStopsStartUpNamingTheKey(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve"}, []string{"MINIAUTH_TOKENS_ACCESS_TTL=forever", "MINIAUTH_WECHAT_APPID=wx1"}, &out, &errOut)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"MINIAUTH_TOKENS_ACCESS_TTL (tokens.access_ttl)", "MINIAUTH_WECHAT_SECRET (wechat.secret)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if out.Len() != 0 {
		t.Errorf("nothing may start: %q", out.String())
	}
}

func TestServeStopsOnSignal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut testkit.LogBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, []string{"MINIAUTH_HTTP_ADDR=127.0.0.1:0", "MINIAUTH_DATA_DIR=" + t.TempDir()}, &out, &errOut)
	}()
	eventually(t, 10*time.Second, "the banner", func() bool { return strings.Contains(out.String(), "miniauth listening on http://127.0.0.1:") })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(errOut.String(), `"msg":"stopped"`) {
		t.Errorf("logs: %s", errOut.String())
	}
}

func TestWxsimCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut testkit.LogBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"wxsim", "--addr", "127.0.0.1:0", "--app", "wxcustom00000001:s3cret",
			"--app", "qq:1110000009:qq-s3cret", "--app", "alipay:2021000000000009:" + alipayPublicKeyFile(t)}, nil, &out, &errOut)
	}()
	eventually(t, 10*time.Second, "the banner", func() bool { return strings.Contains(out.String(), "alipay-gateway-key") })
	first, _, _ := strings.Cut(out.String(), "\n")
	url := strings.TrimSpace(strings.TrimPrefix(first, "wxsim listening on "))
	r := call(t, "GET", url+"/qq/sns/jscode2session?appid=1110000009&secret=wrong&js_code=x&grant_type=authorization_code", "", nil)
	if r.json(t)["errcode"] != float64(40125) {
		t.Errorf("QQ app, wrong secret: %s", r.body)
	}
	if r := call(t, "GET", url+"/_sim/alipay-gateway-key", "", nil); r.status != 200 || !strings.Contains(string(r.body), "PUBLIC KEY") {
		t.Errorf("alipay gateway key: %d %s", r.status, r.body)
	}
	r = call(t, "POST", url+"/_sim/login-code", "", map[string]string{"appid": "wxcustom00000001"})
	if r.status != 200 {
		t.Errorf("login-code for the given app: %d %s", r.status, r.body)
	}
	r = call(t, "GET", url+"/sns/jscode2session?appid=wxcustom00000001&secret=wrong&js_code=x&grant_type=authorization_code", "", nil)
	if r.json(t)["errcode"] != float64(40125) {
		t.Errorf("wrong secret: %s", r.body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
	var out2, errOut2 bytes.Buffer
	if err := run(context.Background(), []string{"wxsim", "--app", "nocolon"}, nil, &out2, &errOut2); err == nil {
		t.Error("a malformed --app must be refused")
	}
	if err := run(context.Background(), []string{"wxsim", "--app", "alipay:2021:/nonexistent.pem"}, nil, &out2, &errOut2); err == nil {
		t.Error("an Alipay app without a readable public key must be refused")
	}
}

// A Redis URL that passes the first check but not go-redis's own stops
// start-up naming the key, without the password.
func TestBadRedisURLNamesTheKeyWithoutThePassword(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve"}, []string{
		"MINIAUTH_DATA_DIR=" + t.TempDir(),
		"MINIAUTH_HTTP_ADDR=127.0.0.1:0",
		"MINIAUTH_REDIS_URL=redis://s1:26379/0?master_name=m&password=s3cret&frobnicate=1",
	}, &out, &errOut)
	if err == nil {
		t.Fatal("want an error")
	}
	if !strings.Contains(err.Error(), "redis.url (MINIAUTH_REDIS_URL)") || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("error does not name the key and the option: %v", err)
	}
	if strings.Contains(err.Error()+errOut.String()+out.String(), "s3cret") {
		t.Errorf("the password shows: %v", err)
	}
}
