package config_test

import (
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/wechat"
)

func TestWebLoginDefaultsAreTheNamedConstants(t *testing.T) {
	cfg := loadDefaults(t)
	want := miniauth.WebLoginOptions{
		Page:         miniauth.DefaultWebLoginPage,
		TTL:          miniauth.DefaultWebLoginTTL,
		MaxWait:      miniauth.DefaultWebLoginMaxWait,
		PollInterval: miniauth.DefaultWebLoginPollInterval,
		MaxWaiters:   miniauth.DefaultWebLoginMaxWaiters,
	}
	got := cfg.WebLogin.Options()
	if got.Page != want.Page || got.TTL != want.TTL || got.MaxWait != want.MaxWait ||
		got.PollInterval != want.PollInterval || got.MaxWaiters != want.MaxWaiters {
		t.Errorf("options %+v, want %+v", got, want)
	}
	w := cfg.WebLogin
	if w.CreateRate != config.DefaultWebLoginCreateRate || w.CreateBurst != config.DefaultWebLoginCreateBurst ||
		w.CodeCache != wechat.DefaultCodeCacheEntries {
		t.Errorf("web_login %+v", w)
	}
}

func TestWebLoginFromFileAndEnvironment(t *testing.T) {
	cfg := loadClean(t, "[web_login]\nttl = \"2m\"\npage = \"pages/scan/scan\"\n",
		"MINIAUTH_WEB_LOGIN_MAX_WAIT=10s",
		"MINIAUTH_WEB_LOGIN_MAX_WAITERS=50",
		"MINIAUTH_WEB_LOGIN_CREATE_RATE=0",
	)
	o := cfg.WebLogin.Options()
	if o.TTL != 2*time.Minute || o.Page != "pages/scan/scan" || o.MaxWait != 10*time.Second || o.MaxWaiters != 50 ||
		cfg.WebLogin.CreateRate != 0 {
		t.Errorf("web_login %+v", cfg.WebLogin)
	}
}

func TestWebLoginSettingsAtTheirEdges(t *testing.T) {
	checkEdges(t, []edge{
		{"MINIAUTH_WEB_LOGIN_TTL=1s", ""},
		{"MINIAUTH_WEB_LOGIN_TTL=999ms", "MINIAUTH_WEB_LOGIN_TTL (web_login.ttl): must be between 1s and 1h0m0s"},
		{"MINIAUTH_WEB_LOGIN_TTL=1h", ""},
		{"MINIAUTH_WEB_LOGIN_TTL=1h0m1s", "(web_login.ttl): must be between"},
		{"MINIAUTH_WEB_LOGIN_MAX_WAIT=1s", ""},
		{"MINIAUTH_WEB_LOGIN_MAX_WAIT=999ms", "(web_login.max_wait): must be between 1s and 25s"},
		{"MINIAUTH_WEB_LOGIN_MAX_WAIT=25s", ""},
		{"MINIAUTH_WEB_LOGIN_MAX_WAIT=26s", "(web_login.max_wait): must be between"},
		{"MINIAUTH_WEB_LOGIN_POLL_INTERVAL=10ms", ""},
		{"MINIAUTH_WEB_LOGIN_POLL_INTERVAL=9ms", "(web_login.poll_interval): must be between 10ms and 5s"},
		{"MINIAUTH_WEB_LOGIN_POLL_INTERVAL=5s", ""},
		{"MINIAUTH_WEB_LOGIN_POLL_INTERVAL=6s", "(web_login.poll_interval): must be between"},
		{"MINIAUTH_WEB_LOGIN_MAX_WAITERS=1", ""},
		{"MINIAUTH_WEB_LOGIN_MAX_WAITERS=0", "MINIAUTH_WEB_LOGIN_MAX_WAITERS (web_login.max_waiters): must be at least 1"},
		{"MINIAUTH_WEB_LOGIN_PAGE=/pages/a/b", "(web_login.page): must be a page path"},
		{"MINIAUTH_WEB_LOGIN_PAGE=pages/a/b?x=1", "(web_login.page): must be a page path"},
		{"MINIAUTH_WEB_LOGIN_PAGE=", "(web_login.page): must be a page path"},
		{"MINIAUTH_WEB_LOGIN_CREATE_RATE=-0.1", "(web_login.create_rate): must not be negative"},
		{"MINIAUTH_WEB_LOGIN_CREATE_BURST=0", "(web_login.create_burst): must be at least 1"},
		{"MINIAUTH_WEB_LOGIN_CODE_CACHE=1", ""},
		{"MINIAUTH_WEB_LOGIN_CODE_CACHE=0", "(web_login.code_cache): must be at least 1"},
	})
}
