package wxsim

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/miniauth/miniauth/internal/alipaysign"
)

// The platforms, as in miniauth's configuration.
const (
	platformWeixin   = "weixin"
	platformQQ       = "qq"
	platformDouyin   = "douyin"
	platformAlipay   = "alipay"
	platformBaidu    = "baidu"
	platformKuaishou = "kuaishou"
)

// The dev apps of the other platforms (the WeChat one is DevAppID). Their
// secret is DevSecret; Alipay's dev app has a key pair instead.
const (
	DevQQAppID       = "qqdevappid0000000"
	DevDouyinAppID   = "ttdevappid0000000"
	DevAlipayAppID   = "2021000000000000"
	DevBaiduAppKey   = "bddevappkey000000"
	DevKuaishouAppID = "ksdevappid0000000"
)

// The other platforms' endpoints, after WeChat's in the endpoint table.
// Each lives under a prefix named after its platform, so that QQ's
// sns/jscode2session does not meet WeChat's: a provider's base URL is the
// simulator's base plus "/qq", "/douyin", "/alipay", "/baidu" or "/kuaishou".
const (
	epQQCode2Session = numWeChatEndpoints + iota
	epDouyinCode2Session
	epAlipayGateway
	epBaiduCode2Session
	epKuaishouCode2Session
	numEndpoints
)

// App is an app the simulator knows, on any platform.
type App struct {
	Platform string // "weixin", "qq", "douyin", "alipay", "baidu", "kuaishou"
	AppID    string // Baidu: the App Key
	Secret   string // not for Alipay
	// Alipay: the app's public key, which checks its requests' signatures.
	AlipayAppPublicKey []byte // PEM
}

// DevApps are the dev apps of every platform; alipayAppPublicKey is the
// public half of the Alipay dev app's key pair (PEM).
func DevApps(alipayAppPublicKey []byte) []App {
	return []App{
		{Platform: platformWeixin, AppID: DevAppID, Secret: DevSecret},
		{Platform: platformQQ, AppID: DevQQAppID, Secret: DevSecret},
		{Platform: platformDouyin, AppID: DevDouyinAppID, Secret: DevSecret},
		{Platform: platformAlipay, AppID: DevAlipayAppID, AlipayAppPublicKey: alipayAppPublicKey},
		{Platform: platformBaidu, AppID: DevBaiduAppKey, Secret: DevSecret},
		{Platform: platformKuaishou, AppID: DevKuaishouAppID, Secret: DevSecret},
	}
}

// PathPrefix is where a platform's endpoints are, relative to the
// simulator's base: "" for WeChat, "qq/" for QQ, and so on.
func PathPrefix(platform string) string {
	if platform == platformWeixin {
		return ""
	}
	return platform + "/"
}

// ParsePlatformApp splits a "PLATFORM:APPID:SECRET" command-line value (the
// --app flag of `miniauth wxsim`); a value without a known platform is
// WeChat's "APPID:SECRET". For Alipay, the third part is the path of the
// app's public key file, which the caller reads.
func ParsePlatformApp(s string) (platform, appID, secret string, err error) {
	if p, rest, ok := strings.Cut(s, ":"); ok && knownPlatform(p) {
		appID, secret, ok = strings.Cut(rest, ":")
		if !ok || appID == "" || secret == "" {
			return "", "", "", fmt.Errorf(`wxsim: app must be "%s:APPID:SECRET"`, p)
		}
		return p, appID, secret, nil
	}
	appID, secret, err = ParseApp(s)
	return platformWeixin, appID, secret, err
}

func knownPlatform(p string) bool {
	switch p {
	case platformWeixin, platformQQ, platformDouyin, platformAlipay, platformBaidu, platformKuaishou:
		return true
	}
	return false
}

// addPlatformApps adds opts.PlatformApps and, when one of them is
// Alipay's, the gateway's signing key. A bad entry is a programming error of
// the caller (the command line and the configuration check theirs first).
func (s *Simulator) addPlatformApps(opts Options) {
	s.alipayKey = opts.AlipayGatewayKey
	for _, a := range opts.PlatformApps {
		if !knownPlatform(a.Platform) {
			panic(fmt.Sprintf("wxsim: app %s: unknown platform %q", a.AppID, a.Platform))
		}
		entry := app{id: a.AppID, secret: a.Secret, platform: a.Platform}
		if a.Platform == platformAlipay {
			pub, err := alipaysign.ParsePublicKey(a.AlipayAppPublicKey)
			if err != nil {
				panic(fmt.Sprintf("wxsim: alipay app %s: public key: %v", a.AppID, err))
			}
			entry.publicKey = pub
		}
		s.apps[a.AppID] = entry
	}
	if s.alipayKey == nil && s.hasPlatform(platformAlipay) {
		key, err := alipaysign.NewKey()
		if err != nil {
			panic("wxsim: making the Alipay gateway key: " + err.Error())
		}
		s.alipayKey = key
	}
}

func (s *Simulator) hasPlatform(p string) bool {
	for _, a := range s.apps {
		if a.platform == p {
			return true
		}
	}
	return false
}

// AlipayGatewayPublicKey is the public half of the key that signs Alipay's
// answers, in PEM: miniauth's alipay_public_key_file. Nil without an Alipay
// app.
func (s *Simulator) AlipayGatewayPublicKey() []byte {
	if s.alipayKey == nil {
		return nil
	}
	return alipaysign.PublicPEM(&s.alipayKey.PublicKey)
}

func (s *Simulator) serveAlipayGatewayKey(*http.Request) response {
	pem := s.AlipayGatewayPublicKey()
	if pem == nil {
		return controlError(http.StatusNotFound, 40013, "no alipay app")
	}
	return response{contentType: "application/x-pem-file", body: pem}
}

// checkPlatformApp answers WeChat's errcode for an appid and secret pair of
// a platform with WeChat's codes (WeChat, QQ): 0 when the app is the
// platform's and the secret its own.
func (s *Simulator) checkPlatformApp(platform, appID, secret string) int {
	a, ok := s.apps[appID]
	switch {
	case appID == "":
		return 41002
	case !ok || a.platform != platform:
		return 40013
	case secret == "":
		return 41004
	case secret != a.secret:
		return 40125
	}
	return 0
}

// platformApp returns the app when it is the platform's.
func (s *Simulator) platformApp(platform, appID string) (app, bool) {
	a, ok := s.apps[appID]
	return a, ok && a.platform == platform
}

// errcodeAnswer is a fault's errcode answer in the faulted endpoint's own
// shape.
func (s *Simulator) errcodeAnswer(endpoint string, code int) response {
	ep, _ := endpointIndex(endpoint)
	switch ep {
	case epDouyinCode2Session:
		return s.douyinErr(code, "simulated error")
	case epAlipayGateway:
		return s.alipayErr(fmt.Sprint(code), alipayFaultSubCode(code), "simulated error")
	case epBaiduCode2Session:
		return baiduErr(code, "server_error", "simulated error")
	case epKuaishouCode2Session:
		return kuaishouErr(code, "simulated error")
	}
	return s.wechatErr(code)
}
