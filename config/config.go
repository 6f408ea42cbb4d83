// Package config loads miniauth's configuration: defaults, then an optional
// TOML file, then MINIAUTH_<SECTION>_<KEY> environment variables, then
// validation that names every wrong key on a line of its own.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration. The toml tags are also the environment
// names: section "wechat", key "base_url" is MINIAUTH_WECHAT_BASE_URL.
type Config struct {
	HTTP    HTTP    `toml:"http"`
	Data    Data    `toml:"data"`
	DB      DB      `toml:"db"`
	Redis   Redis   `toml:"redis"`
	WeChat  WeChat  `toml:"wechat"`
	Tokens  Tokens  `toml:"tokens"`
	Admin   Admin   `toml:"admin"`
	Log     Log     `toml:"log"`
	Profile Profile `toml:"profile"`
	Avatar  Avatar  `toml:"avatar"`
}

type HTTP struct {
	Addr            string   `toml:"addr"`
	BodyLimit       ByteSize `toml:"body_limit"`
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
	TrustedProxies  []string `toml:"trusted_proxies"`
	AuthRate        float64  `toml:"auth_rate"`  // logins+refreshes per second per IP; 0: no limit
	AuthBurst       int      `toml:"auth_burst"` // bucket size of that limit
	// PublicURL is how clients reach this server (https://auth.example.com);
	// avatar URLs start with it. Empty: the host of each request.
	PublicURL string `toml:"public_url"`
}

type Data struct {
	Dir string `toml:"dir"`
}

type DB struct {
	URL string `toml:"url"`
}

type Redis struct {
	URL string `toml:"url"`
}

type WeChat struct {
	AppID     string   `toml:"appid"`
	Secret    string   `toml:"secret"`
	Apps      []App    `toml:"apps"` // TOML only: [[wechat.apps]]
	BaseURL   string   `toml:"base_url"`
	Simulator bool     `toml:"simulator"`
	Timeout   Duration `toml:"timeout"`
	TokenMode string   `toml:"token_mode"` // stable or classic
}

// App is one mini program.
type App struct {
	AppID  string `toml:"appid"`
	Secret string `toml:"secret"`
}

type Tokens struct {
	AccessTTL  Duration `toml:"access_ttl"`
	RefreshTTL Duration `toml:"refresh_ttl"`
	CacheTTL   Duration `toml:"cache_ttl"` // how long verify trusts a session without asking the store
}

type Admin struct {
	Token string `toml:"token"` // enables /admin/v1; at least 32 characters
}

type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // json or text
}

// Default returns the configuration before any file or variable.
func Default() Config {
	return Config{
		HTTP: HTTP{
			Addr:            "127.0.0.1:8080",
			BodyLimit:       64 << 10,
			ShutdownTimeout: Duration{15 * time.Second},
			// No per-IP limit unless asked for: behind a proxy that is not
			// in trusted_proxies every client shares one IP, and a default
			// limit would turn away real users.
			AuthRate:  0,
			AuthBurst: 20,
		},
		Data:   Data{Dir: "./data"},
		WeChat: WeChat{BaseURL: "https://api.weixin.qq.com", Timeout: Duration{5 * time.Second}, TokenMode: "stable"},
		Tokens: Tokens{
			AccessTTL:  Duration{2 * time.Hour},
			RefreshTTL: Duration{30 * 24 * time.Hour},
			CacheTTL:   Duration{800 * time.Millisecond},
		},
		Log:    Log{Level: "info", Format: "json"},
		Avatar: defaultAvatar(),
	}
}

// Load reads the optional TOML file at path ("" for none) and the
// MINIAUTH_* variables of environ (as os.Environ gives them), and validates
// the result. The error lists every mistake, one per line. Warnings are for
// things that work but are probably not meant (an unknown MINIAUTH_ variable).
func Load(path string, environ []string) (cfg Config, warnings []string, err error) {
	cfg = Default()
	var problems []string
	if path != "" {
		problems = append(problems, loadFile(path, &cfg)...)
	}
	envProblems, warnings := applyEnv(&cfg, environ)
	problems = append(problems, envProblems...)
	cfg.readAWSCredentials(environ)
	problems = append(problems, cfg.validate()...)
	if len(problems) > 0 {
		return cfg, warnings, errors.New(strings.Join(problems, "\n"))
	}
	return cfg, warnings, nil
}

func loadFile(path string, cfg *Config) []string {
	md, err := toml.DecodeFile(path, cfg)
	if err != nil {
		return []string{fmt.Sprintf("config file %s: %v", path, err)}
	}
	var problems []string
	for _, key := range md.Undecoded() {
		problems = append(problems, fmt.Sprintf("config file %s: unknown key %s", path, key))
	}
	return problems
}

// Apps is the list of configured mini programs: the single app of
// wechat.appid/secret first, then [[wechat.apps]]. Empty means dev mode.
func (c Config) Apps() []App {
	var apps []App
	if c.WeChat.AppID != "" || c.WeChat.Secret != "" {
		apps = append(apps, App{AppID: c.WeChat.AppID, Secret: c.WeChat.Secret})
	}
	return append(apps, c.WeChat.Apps...)
}

// DevMode reports whether no app is configured: the embedded default, with
// the simulator standing in for WeChat.
func (c Config) DevMode() bool { return len(c.Apps()) == 0 }

// DatabaseURL is db.url, or SQLite in the data dir.
func (c Config) DatabaseURL() string {
	if c.DB.URL != "" {
		return c.DB.URL
	}
	path, err := filepath.Abs(filepath.Join(c.Data.Dir, "miniauth.db"))
	if err != nil {
		path = filepath.Join(c.Data.Dir, "miniauth.db")
	}
	return "sqlite://" + filepath.ToSlash(path)
}

func (c Config) validate() []string {
	var p []string
	bad := func(key, format string, args ...any) {
		p = append(p, fmt.Sprintf("%s (%s): %s", envName(key), key, fmt.Sprintf(format, args...)))
	}
	if c.HTTP.Addr == "" {
		bad("http.addr", "must not be empty")
	} else if _, _, err := splitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr", "%q is not host:port", c.HTTP.Addr)
	}
	if c.HTTP.BodyLimit < 1024 {
		bad("http.body_limit", "must be at least 1KiB")
	}
	if c.HTTP.ShutdownTimeout.Duration <= 0 {
		bad("http.shutdown_timeout", "must be positive")
	}
	if c.HTTP.AuthRate < 0 {
		bad("http.auth_rate", "must not be negative (0 turns the limit off)")
	}
	if c.HTTP.AuthRate > 0 && c.HTTP.AuthBurst < 1 {
		bad("http.auth_burst", "must be at least 1 while http.auth_rate is set")
	}
	if c.Data.Dir == "" {
		bad("data.dir", "must not be empty")
	}
	if c.DB.URL != "" {
		if u, err := url.Parse(c.DB.URL); err != nil || !oneOf(u.Scheme, "sqlite", "postgres", "postgresql", "mysql") {
			bad("db.url", "must start with sqlite://, postgres:// or mysql://")
		}
	}
	if c.Redis.URL != "" {
		if u, err := url.Parse(c.Redis.URL); err != nil || !oneOf(u.Scheme, "redis", "rediss") || u.Host == "" {
			bad("redis.url", "must look like redis://host:port/db")
		}
	}
	if c.WeChat.AppID != "" && c.WeChat.Secret == "" {
		bad("wechat.secret", "is required when wechat.appid is set")
	}
	if c.WeChat.Secret != "" && c.WeChat.AppID == "" {
		bad("wechat.appid", "is required when wechat.secret is set")
	}
	seen := map[string]bool{}
	for i, app := range c.Apps() {
		if app.AppID == "" || app.Secret == "" {
			if i > 0 || c.WeChat.AppID == "" {
				p = append(p, fmt.Sprintf("wechat.apps[%d]: appid and secret are both required", i))
			}
			continue
		}
		if seen[app.AppID] {
			p = append(p, fmt.Sprintf("wechat.apps: appid %s is configured twice", app.AppID))
		}
		seen[app.AppID] = true
	}
	if u, err := url.Parse(c.WeChat.BaseURL); err != nil || !oneOf(u.Scheme, "http", "https") || u.Host == "" {
		bad("wechat.base_url", "must be an http(s) URL")
	}
	if c.WeChat.Timeout.Duration <= 0 {
		bad("wechat.timeout", "must be positive")
	}
	if !oneOf(c.WeChat.TokenMode, "stable", "classic") {
		bad("wechat.token_mode", "must be stable or classic")
	}
	if c.Tokens.AccessTTL.Duration < 10*time.Second {
		bad("tokens.access_ttl", "must be at least 10s")
	}
	if c.Tokens.RefreshTTL.Duration <= c.Tokens.AccessTTL.Duration {
		bad("tokens.refresh_ttl", "must be longer than tokens.access_ttl")
	}
	if c.Tokens.CacheTTL.Duration < 0 || c.Tokens.CacheTTL.Duration > time.Minute {
		bad("tokens.cache_ttl", "must be between 0 and 1m")
	}
	if c.Admin.Token != "" && len(c.Admin.Token) < 32 {
		bad("admin.token", "must be at least 32 characters")
	}
	if !oneOf(c.Log.Level, "debug", "info", "warn", "error") {
		bad("log.level", "must be debug, info, warn or error")
	}
	if !oneOf(c.Log.Format, "json", "text") {
		bad("log.format", "must be json or text")
	}
	c.validateProfile(bad)
	return p
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

func splitHostPort(addr string) (string, string, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", "", fmt.Errorf("missing port")
	}
	return addr[:i], addr[i+1:], nil
}
