package config

import (
	"crypto/rsa"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/internal/alipaysign"
)

// The apps can be given three ways, all still read: wechat.appid and
// wechat.secret (one WeChat app, also by MINIAUTH_WECHAT_APPID and
// MINIAUTH_WECHAT_SECRET), [[wechat.apps]] (WeChat apps), and [[apps]]
// (apps of every platform, each with its platform; weixin by default).

// namedApp is an app with the key that configured it, for messages.
type namedApp struct {
	App
	key string // "wechat.appid", "wechat.apps[1]", "apps[0]"
}

func (c Config) namedApps() []namedApp {
	var apps []namedApp
	if c.WeChat.AppID != "" || c.WeChat.Secret != "" {
		apps = append(apps, namedApp{App{AppID: c.WeChat.AppID, Secret: c.WeChat.Secret}, "wechat.appid"})
	}
	for i, a := range c.WeChat.Apps {
		apps = append(apps, namedApp{a, fmt.Sprintf("wechat.apps[%d]", i)})
	}
	for i, a := range c.PlatformApps {
		apps = append(apps, namedApp{a, fmt.Sprintf("apps[%d]", i)})
	}
	for i := range apps {
		if apps[i].Platform == "" {
			apps[i].Platform = miniauth.PlatformWeixin
		}
	}
	return apps
}

// AppTimeout is the timeout of calls for the app: its own, or wechat.timeout.
func (c Config) AppTimeout(a App) time.Duration {
	if a.Timeout.Duration > 0 {
		return a.Timeout.Duration
	}
	return c.WeChat.Timeout.Duration
}

// AlipayKeys reads an Alipay app's keys: its own private key, which signs
// requests, and Alipay's public key, which verifies answers.
func (a App) AlipayKeys() (*rsa.PrivateKey, *rsa.PublicKey, error) {
	priv, err := readKey(a.PrivateKeyFile, "private_key_file", alipaysign.ParsePrivateKey)
	if err != nil {
		return nil, nil, err
	}
	pub, err := readKey(a.AlipayPublicKeyFile, "alipay_public_key_file", alipaysign.ParsePublicKey)
	if err != nil {
		return nil, nil, err
	}
	return priv, pub, nil
}

func readKey[K any](path, key string, parse func([]byte) (K, error)) (K, error) {
	var zero K
	if path == "" {
		return zero, fmt.Errorf("%s is required for an alipay app", key)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, fmt.Errorf("%s %s: cannot read it: %v", key, path, unwrapPathError(err))
	}
	k, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s %s: %v", key, path, err)
	}
	return k, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// validateApps names each mistake in the apps on a line of its own.
func (c Config) validateApps() []string {
	var p []string
	seen := map[string]string{}
	for _, a := range c.namedApps() {
		bad := func(format string, args ...any) {
			p = append(p, fmt.Sprintf("%s (%s %s): %s", a.key, a.Platform, a.AppID, fmt.Sprintf(format, args...)))
		}
		if a.key == "wechat.appid" && (a.AppID == "" || a.Secret == "") {
			continue // named by the wechat.appid / wechat.secret checks
		}
		if !miniauth.KnownPlatform(a.Platform) {
			bad("unknown platform %q; one of weixin, qq, douyin, alipay, baidu, kuaishou", a.Platform)
			continue
		}
		if strings.HasPrefix(a.key, "wechat.apps") && a.Platform != miniauth.PlatformWeixin {
			bad("[[wechat.apps]] are WeChat apps; list a %s app under [[apps]]", a.Platform)
		}
		if a.AppID == "" {
			bad("appid is required")
		} else if first, dup := seen[a.AppID]; dup {
			bad("appid %s is configured twice (also %s)", a.AppID, first)
		} else {
			seen[a.AppID] = a.key
		}
		a.validateCredentials(bad)
		if a.BaseURL != "" {
			if a.Platform == miniauth.PlatformWeixin {
				bad("base_url of a WeChat app is wechat.base_url")
			} else if u, err := url.Parse(a.BaseURL); err != nil || !oneOf(u.Scheme, "http", "https") || u.Host == "" || u.RawQuery != "" {
				bad("base_url must be an http(s) URL without a query")
			}
		}
		if a.Timeout.Duration < 0 {
			bad("timeout must be positive")
		}
	}
	return p
}

// validateCredentials checks the secret, or for Alipay the key files.
func (a namedApp) validateCredentials(bad func(string, ...any)) {
	if a.Platform != miniauth.PlatformAlipay {
		if a.Secret == "" {
			bad("secret is required")
		}
		if a.PrivateKeyFile != "" || a.AlipayPublicKeyFile != "" {
			bad("private_key_file and alipay_public_key_file are for alipay apps")
		}
		return
	}
	if a.Secret != "" {
		bad("alipay apps sign with private_key_file; leave secret out")
	}
	if _, err := readKey(a.PrivateKeyFile, "private_key_file", alipaysign.ParsePrivateKey); err != nil {
		bad("%v", err)
	}
	if _, err := readKey(a.AlipayPublicKeyFile, "alipay_public_key_file", alipaysign.ParsePublicKey); err != nil {
		bad("%v", err)
	}
}
