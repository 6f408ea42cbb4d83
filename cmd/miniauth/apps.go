package main

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/internal/alipaysign"
	"github.com/miniauth/miniauth/platforms"
	"github.com/miniauth/miniauth/wxsim"
)

// appPlan is what a node serves: the WeChat apps (for the WeChat client),
// the other platforms' apps (a provider each), and what the simulator must
// know to stand in for all of them.
type appPlan struct {
	wechatApps map[string]string // appid -> secret
	appIDs     []string          // every app, in configuration order
	defaultApp string            // dev mode: a login without appid is WeChat's dev app
	others     []platforms.Options
	simApps    []wxsim.App
	gatewayKey *rsa.PrivateKey // dev mode: the simulated Alipay gateway's key
}

// planApps turns the configuration's apps into a plan; in dev mode, the
// six dev apps, served by the simulator mounted at simBase.
func planApps(cfg config.Config, simBase string) (*appPlan, error) {
	if cfg.DevMode() {
		return devPlan(cfg, simBase)
	}
	plan := &appPlan{wechatApps: map[string]string{}}
	for _, a := range cfg.Apps() {
		plan.appIDs = append(plan.appIDs, a.AppID)
		if a.Platform == miniauth.PlatformWeixin {
			plan.wechatApps[a.AppID] = a.Secret
			continue
		}
		opts := platforms.Options{Platform: a.Platform, AppID: a.AppID, Secret: a.Secret,
			BaseURL: a.BaseURL, Timeout: cfg.AppTimeout(a)}
		sim := wxsim.App{Platform: a.Platform, AppID: a.AppID, Secret: a.Secret}
		if a.Platform == miniauth.PlatformAlipay {
			priv, pub, err := a.AlipayKeys()
			if err != nil {
				return nil, fmt.Errorf("alipay app %s: %w", a.AppID, err)
			}
			opts.PrivateKey, opts.AlipayPublicKey = priv, pub
			sim.AlipayAppPublicKey = alipaysign.PublicPEM(&priv.PublicKey)
		}
		plan.others = append(plan.others, opts)
		plan.simApps = append(plan.simApps, sim)
	}
	return plan, nil
}

// devAlipayKeys are the dev Alipay app's key pair and the simulated
// gateway's, made once per process when the first dev-mode node starts and
// kept in memory only: making RSA keys takes a while, and nothing outside
// the process needs them (the simulator signs for Alipay, the mini program
// never signs).
var devAlipayKeys = sync.OnceValues(func() ([2]*rsa.PrivateKey, error) {
	var keys [2]*rsa.PrivateKey
	for i := range keys {
		k, err := alipaysign.NewKey()
		if err != nil {
			return keys, fmt.Errorf("making the dev Alipay keys: %w", err)
		}
		keys[i] = k
	}
	return keys, nil
})

func devPlan(cfg config.Config, simBase string) (*appPlan, error) {
	keys, err := devAlipayKeys()
	if err != nil {
		return nil, err
	}
	appKey, gatewayKey := keys[0], keys[1]
	plan := &appPlan{
		wechatApps: map[string]string{wxsim.DevAppID: wxsim.DevSecret},
		defaultApp: wxsim.DevAppID,
		simApps:    wxsim.DevApps(alipaysign.PublicPEM(&appKey.PublicKey)),
		gatewayKey: gatewayKey,
	}
	for _, a := range plan.simApps {
		plan.appIDs = append(plan.appIDs, a.AppID)
		if a.Platform == miniauth.PlatformWeixin {
			continue
		}
		opts := platforms.Options{Platform: a.Platform, AppID: a.AppID, Secret: a.Secret,
			BaseURL: simBase + "/" + strings.TrimSuffix(wxsim.PathPrefix(a.Platform), "/"),
			Timeout: cfg.WeChat.Timeout.Duration}
		if a.Platform == miniauth.PlatformAlipay {
			opts.PrivateKey, opts.AlipayPublicKey = appKey, &gatewayKey.PublicKey
		}
		plan.others = append(plan.others, opts)
	}
	return plan, nil
}

// providers makes the login provider of every app: wx for WeChat's, a
// platforms.Provider for each of the others, all sharing one HTTP client
// and registry.
func (p *appPlan) providers(wx miniauth.WeChat, reg prometheus.Registerer, logger *slog.Logger) (map[string]miniauth.LoginProvider, error) {
	out := make(map[string]miniauth.LoginProvider, len(p.appIDs))
	for id := range p.wechatApps {
		out[id] = wx
	}
	client := platforms.NewHTTPClient()
	for _, opts := range p.others {
		opts.HTTPClient, opts.Registerer = client, reg
		opts.Logger = logger.With("component", "platforms")
		prov, err := platforms.New(opts)
		if err != nil {
			return nil, err
		}
		out[opts.AppID] = prov
	}
	return out, nil
}

// devBanner lists the dev apps and where the simulator serves each.
func (p *appPlan) devBanner(simBase string) string {
	var b strings.Builder
	for _, a := range p.simApps {
		fmt.Fprintf(&b, "dev mode: %-8s appid %s, simulated at %s/%s\n", a.Platform, a.AppID, simBase,
			strings.TrimSuffix(wxsim.PathPrefix(a.Platform), "/"))
	}
	b.WriteString("dev mode: secrets are devsecret; the Alipay app's and gateway's key pairs are made at start and kept in memory\n")
	return b.String()
}

// noWeChat stands in for the WeChat client when no WeChat app is
// configured: logins go to the other platforms' providers, and phone
// numbers, which only WeChat gives, are refused.
type noWeChat struct{}

func (noWeChat) Code2Session(context.Context, string, string) (*miniauth.WeChatSession, error) {
	return nil, miniauth.Errorf(miniauth.EInvalidRequest, "unknown appid")
}

func (noWeChat) PhoneNumber(context.Context, string, string, string) (*miniauth.PhoneInfo, error) {
	return nil, miniauth.Errorf(miniauth.EInvalidRequest, "phone numbers need a WeChat app")
}

func (noWeChat) CheckProfileText(context.Context, string, string, string) (bool, error) {
	return false, miniauth.Errorf(miniauth.EInvalidRequest, "the content check needs a WeChat app")
}

// platforms names the platform of every app that is not WeChat's.
func (p *appPlan) platforms() map[string]string {
	out := make(map[string]string, len(p.others))
	for _, o := range p.others {
		out[o.AppID] = o.Platform
	}
	return out
}

// webLoginOptions wires scan to log in: tickets where the sessions are,
// codes of the WeChat apps drawn by the WeChat client.
func webLoginOptions(cfg config.Config, st *stores, plan *appPlan, wx miniauth.WeChat) miniauth.WebLoginOptions {
	opts := cfg.WebLogin.Options()
	opts.Store, opts.Events = st.webLogins, st.webLoginEvents
	opts.Apps = slices.Sorted(maps.Keys(plan.wechatApps))
	if codes, ok := wx.(miniauth.CodeImages); ok {
		opts.Codes = codes
	}
	return opts
}
