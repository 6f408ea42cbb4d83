package config

import (
	"strings"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/wechat"
)

// WebLogin configures scan to log in on the web (miniauth.WebLoginOptions).
type WebLogin struct {
	TTL          Duration `toml:"ttl"`           // a ticket's life
	MaxWait      Duration `toml:"max_wait"`      // longest wait of one poll (?wait=)
	PollInterval Duration `toml:"poll_interval"` // without Redis: how often a waiting poll reads its ticket
	MaxWaiters   int      `toml:"max_waiters"`   // polls waiting at once per node
	Page         string   `toml:"page"`          // the mini-program page the code opens
	CreateRate   float64  `toml:"create_rate"`   // tickets per second per client IP; 0: no limit
	CreateBurst  int      `toml:"create_burst"`  // bucket size of that limit
	CodeCache    int      `toml:"code_cache"`    // code images kept in memory
}

// Defaults of the ticket creation limit: a web page makes one ticket every
// five minutes, or one per reload; an office behind one address makes a
// few a minute.
const (
	DefaultWebLoginCreateRate  = 0.5
	DefaultWebLoginCreateBurst = 10
)

func defaultWebLogin() WebLogin {
	return WebLogin{
		TTL:          Duration{miniauth.DefaultWebLoginTTL},
		MaxWait:      Duration{miniauth.DefaultWebLoginMaxWait},
		PollInterval: Duration{miniauth.DefaultWebLoginPollInterval},
		MaxWaiters:   miniauth.DefaultWebLoginMaxWaiters,
		Page:         miniauth.DefaultWebLoginPage,
		CreateRate:   DefaultWebLoginCreateRate,
		CreateBurst:  DefaultWebLoginCreateBurst,
		CodeCache:    wechat.DefaultCodeCacheEntries,
	}
}

// Bounds of the settings. A ticket lives long enough to scan and at most an
// hour; a poll waits less than the server's 30 s write timeout; a poll
// interval under 10 ms is a busy loop on the store.
const (
	minWebLoginTTL      = time.Second
	maxWebLoginTTL      = time.Hour
	minWebLoginMaxWait  = time.Second
	maxWebLoginMaxWait  = 25 * time.Second
	minWebLoginInterval = 10 * time.Millisecond
	maxWebLoginInterval = 5 * time.Second
)

// Options are the service's options of scan to log in, without the stores
// and apps, which the caller wires.
func (w WebLogin) Options() miniauth.WebLoginOptions {
	return miniauth.WebLoginOptions{
		Page:         w.Page,
		TTL:          w.TTL.Duration,
		MaxWait:      w.MaxWait.Duration,
		PollInterval: w.PollInterval.Duration,
		MaxWaiters:   w.MaxWaiters,
	}
}

func (w WebLogin) validate(bad problemFunc) {
	durations := []struct {
		key      string
		v        time.Duration
		min, max time.Duration
	}{
		{"web_login.ttl", w.TTL.Duration, minWebLoginTTL, maxWebLoginTTL},
		{"web_login.max_wait", w.MaxWait.Duration, minWebLoginMaxWait, maxWebLoginMaxWait},
		{"web_login.poll_interval", w.PollInterval.Duration, minWebLoginInterval, maxWebLoginInterval},
	}
	for _, d := range durations {
		if d.v < d.min || d.v > d.max {
			bad(d.key, "must be between %v and %v", d.min, d.max)
		}
	}
	if w.MaxWaiters < 1 {
		bad("web_login.max_waiters", "must be at least 1")
	}
	if w.Page == "" || strings.HasPrefix(w.Page, "/") || strings.ContainsAny(w.Page, "?# ") {
		bad("web_login.page", "must be a page path without a leading slash or a query, e.g. %s", miniauth.DefaultWebLoginPage)
	}
	if w.CreateRate < 0 {
		bad("web_login.create_rate", "must not be negative (0 turns the limit off)")
	}
	if w.CreateRate > 0 && w.CreateBurst < 1 {
		bad("web_login.create_burst", "must be at least 1 while web_login.create_rate is set")
	}
	if w.CodeCache < 1 {
		bad("web_login.code_cache", "must be at least 1")
	}
}
