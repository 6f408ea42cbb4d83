package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/internal/alipaysign"
)

var keyFiles = sync.OnceValues(func() (string, string) {
	dir, err := os.MkdirTemp("", "miniauth-config-keys")
	if err != nil {
		panic(err)
	}
	k, err := alipaysign.NewKey()
	if err != nil {
		panic(err)
	}
	priv, pub := filepath.Join(dir, "app_private.pem"), filepath.Join(dir, "alipay_public.pem")
	os.WriteFile(priv, alipaysign.PrivatePEM(k), 0o600)
	os.WriteFile(pub, alipaysign.PublicPEM(&k.PublicKey), 0o600)
	return priv, pub
})

func TestAppsOfEveryPlatform(t *testing.T) {
	priv, pub := keyFiles()
	cfg, err := loadTOML(t, `
[wechat]
appid = "wxsingle"
secret = "s0"
timeout = "4s"

[[wechat.apps]]
appid = "wxlisted"
secret = "s1"

[[apps]]
appid = "wxplain"        # platform weixin by default
secret = "s2"

[[apps]]
platform = "qq"
appid = "1112223334"
secret = "s3"
base_url = "http://127.0.0.1:9000/qq"
timeout = "300ms"

[[apps]]
platform = "douyin"
appid = "tt1"
secret = "s4"

[[apps]]
platform = "alipay"
appid = "2021000011112222"
private_key_file = "`+priv+`"
alipay_public_key_file = "`+pub+`"

[[apps]]
platform = "baidu"
appid = "bdkey"
secret = "s5"

[[apps]]
platform = "kuaishou"
appid = "ks1"
secret = "s6"
`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range cfg.Apps() {
		got = append(got, a.Platform+":"+a.AppID)
	}
	want := "weixin:wxsingle weixin:wxlisted weixin:wxplain qq:1112223334 douyin:tt1 alipay:2021000011112222 baidu:bdkey kuaishou:ks1"
	if strings.Join(got, " ") != want {
		t.Errorf("apps:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	apps := cfg.Apps()
	if d := cfg.AppTimeout(apps[3]); d != 300*time.Millisecond {
		t.Errorf("qq timeout %v", d)
	}
	if d := cfg.AppTimeout(apps[4]); d != 4*time.Second {
		t.Errorf("douyin timeout %v, want wechat.timeout", d)
	}
	if priv, pub, err := apps[5].AlipayKeys(); err != nil || priv == nil || pub == nil {
		t.Errorf("alipay keys: %v", err)
	}
	if cfg.DevMode() {
		t.Error("apps configured: not dev mode")
	}
}

// The old ways still work alone: MINIAUTH_WECHAT_APPID/SECRET is a weixin app.
func TestWeChatVariablesStillMakeAnApp(t *testing.T) {
	cfg, _, err := config.Load("", []string{"MINIAUTH_WECHAT_APPID=wx123", "MINIAUTH_WECHAT_SECRET=sec"})
	if err != nil {
		t.Fatal(err)
	}
	if apps := cfg.Apps(); len(apps) != 1 || apps[0].Platform != "weixin" {
		t.Errorf("apps = %+v", apps)
	}
}

// Each mistake in the apps is one line, naming the app and what is wrong.
func TestAppMistakes(t *testing.T) {
	priv, pub := keyFiles()
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	os.WriteFile(garbage, []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), 0o600)
	cases := []struct{ name, toml, want string }{
		{"unknown platform", `platform = "myspace"
appid = "a1"
secret = "s"`, `apps[0] (myspace a1): unknown platform "myspace"`},
		{"no secret", `platform = "qq"
appid = "a1"`, "apps[0] (qq a1): secret is required"},
		{"alipay without a public key", `platform = "alipay"
appid = "2021"
private_key_file = "` + priv + `"`, "apps[0] (alipay 2021): alipay_public_key_file is required for an alipay app"},
		{"missing key file", `platform = "alipay"
appid = "2021"
private_key_file = "/nonexistent/key.pem"
alipay_public_key_file = "` + pub + `"`, "apps[0] (alipay 2021): private_key_file /nonexistent/key.pem: cannot read it: no such file or directory"},
		{"invalid PEM", `platform = "alipay"
appid = "2021"
private_key_file = "` + priv + `"
alipay_public_key_file = "` + garbage + `"`, "apps[0] (alipay 2021): alipay_public_key_file " + garbage + ": not an RSA public key"},
		{"a private key where the public one goes", `platform = "alipay"
appid = "2021"
private_key_file = "` + priv + `"
alipay_public_key_file = "` + priv + `"`, "alipay_public_key_file " + priv + ": not an RSA public key"},
		{"a secret on alipay", `platform = "alipay"
appid = "2021"
secret = "x"
private_key_file = "` + priv + `"
alipay_public_key_file = "` + pub + `"`, "alipay apps sign with private_key_file; leave secret out"},
		{"keys on qq", `platform = "qq"
appid = "q"
secret = "s"
private_key_file = "` + priv + `"`, "apps[0] (qq q): private_key_file and alipay_public_key_file are for alipay apps"},
		{"weixin base_url", `appid = "wx"
secret = "s"
base_url = "http://x"`, "apps[0] (weixin wx): base_url of a WeChat app is wechat.base_url"},
		{"bad base_url", `platform = "baidu"
appid = "b"
secret = "s"
base_url = "spapi.baidu.com"`, "apps[0] (baidu b): base_url must be an http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadTOML(t, "[[apps]]\n"+c.toml+"\n")
			if err == nil {
				t.Fatal("accepted")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Errorf("error:\n%v\nwant one line containing\n%s", err, c.want)
			}
		})
	}
}

// Two mistakes, two lines.
func TestAlipayWithoutKeys(t *testing.T) {
	_, err := loadTOML(t, "[[apps]]\nplatform = \"alipay\"\nappid = \"2021\"\n")
	want := "apps[0] (alipay 2021): private_key_file is required for an alipay app\n" +
		"apps[0] (alipay 2021): alipay_public_key_file is required for an alipay app"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant\n%s", err, want)
	}
}

func TestAppConfiguredTwiceAcrossLists(t *testing.T) {
	_, err := loadTOML(t, `
[[wechat.apps]]
appid = "wxsame"
secret = "a"

[[wechat.apps]]
platform = "qq"
appid = "qqmisplaced"
secret = "b"

[[apps]]
appid = "wxsame"
secret = "c"
`, "MINIAUTH_WECHAT_APPID=wxsame", "MINIAUTH_WECHAT_SECRET=d")
	if err == nil {
		t.Fatal("accepted")
	}
	want := []string{
		"wechat.apps[0] (weixin wxsame): appid wxsame is configured twice (also wechat.appid)",
		"wechat.apps[1] (qq qqmisplaced): [[wechat.apps]] are WeChat apps; list a qq app under [[apps]]",
		"apps[0] (weixin wxsame): appid wxsame is configured twice (also wechat.appid)",
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("error:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}
