package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
)

func TestDefaultsAreDevMode(t *testing.T) {
	cfg, warnings, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	if !cfg.DevMode() {
		t.Error("no app configured must mean dev mode")
	}
	if cfg.HTTP.Addr != "127.0.0.1:8080" || cfg.HTTP.BodyLimit != 64<<10 || cfg.Tokens.AccessTTL.Duration != 2*time.Hour {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.HTTP.MaxConns != config.DefaultMaxConns || cfg.HTTP.ReadHeaderTimeout.Duration != config.DefaultReadHeaderTimeout ||
		cfg.HTTP.IdleTimeout.Duration != config.DefaultIdleTimeout {
		t.Errorf("connection defaults: %+v", cfg.HTTP)
	}
	if !cfg.Redis.RequireAOF || cfg.Redis.ClockSkew.Duration != 5*time.Second || cfg.Tokens.RefreshReuseLeeway.Duration != 10*time.Second {
		t.Errorf("ledger defaults: %+v, %+v", cfg.Redis, cfg.Tokens)
	}
	if cfg.DB.Timeout.Duration != miniauth.DefaultDBTimeout || cfg.Redis.Timeout.Duration != miniauth.DefaultRedisTimeout {
		t.Errorf("store timeouts: db %v, redis %v", cfg.DB.Timeout, cfg.Redis.Timeout)
	}
	if !strings.HasPrefix(cfg.DatabaseURL(), "sqlite:///") || !strings.HasSuffix(cfg.DatabaseURL(), "/data/miniauth.db") {
		t.Errorf("DatabaseURL = %q", cfg.DatabaseURL())
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "miniauth.toml")
	err := os.WriteFile(path, []byte(`
[http]
addr = "0.0.0.0:9000"
body_limit = "128KiB"
trusted_proxies = ["10.0.0.1"]

[wechat]
timeout = "3s"

[[wechat.apps]]
appid = "wxaaa"
secret = "s1"

[[wechat.apps]]
appid = "wxbbb"
secret = "s2"
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(path, []string{
		"MINIAUTH_HTTP_ADDR=127.0.0.1:0",
		"MINIAUTH_TOKENS_ACCESS_TTL=90s",
		"MINIAUTH_HTTP_TRUSTED_PROXIES=10.0.0.2, 10.0.0.3",
		"MINIAUTH_WECHAT_SIMULATOR=true",
		"MINIAUTH_HTTP_AUTH_RATE=0",
		"PATH=/usr/bin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != "127.0.0.1:0" {
		t.Errorf("addr = %q: the environment must win over the file", cfg.HTTP.Addr)
	}
	if cfg.HTTP.BodyLimit != 128<<10 {
		t.Errorf("body_limit = %d", cfg.HTTP.BodyLimit)
	}
	if got := strings.Join(cfg.HTTP.TrustedProxies, ","); got != "10.0.0.2,10.0.0.3" {
		t.Errorf("trusted_proxies = %q", got)
	}
	if cfg.Tokens.AccessTTL.Duration != 90*time.Second || cfg.WeChat.Timeout.Duration != 3*time.Second {
		t.Errorf("durations: %v %v", cfg.Tokens.AccessTTL, cfg.WeChat.Timeout)
	}
	if !cfg.WeChat.Simulator || cfg.HTTP.AuthRate != 0 {
		t.Errorf("simulator %v auth_rate %v", cfg.WeChat.Simulator, cfg.HTTP.AuthRate)
	}
	if cfg.DevMode() || len(cfg.Apps()) != 2 {
		t.Errorf("apps = %+v", cfg.Apps())
	}
}

func TestSingleAppFromEnvironment(t *testing.T) {
	cfg, _, err := config.Load("", []string{"MINIAUTH_WECHAT_APPID=wx123", "MINIAUTH_WECHAT_SECRET=sec"})
	if err != nil {
		t.Fatal(err)
	}
	if apps := cfg.Apps(); len(apps) != 1 || apps[0].AppID != "wx123" || apps[0].Secret != "sec" {
		t.Errorf("apps = %+v", apps)
	}
}

func TestEveryMistakeIsNamedOnItsOwnLine(t *testing.T) {
	_, _, err := config.Load("", []string{
		"MINIAUTH_TOKENS_ACCESS_TTL=soon",
		"MINIAUTH_HTTP_BODY_LIMIT=huge",
		"MINIAUTH_WECHAT_APPID=wx123",
		"MINIAUTH_DB_URL=oracle://x",
		"MINIAUTH_REDIS_URL=localhost:6379",
		"MINIAUTH_WECHAT_SIMULATOR=maybe",
		"MINIAUTH_LOG_LEVEL=loud",
		"MINIAUTH_ADMIN_TOKEN=short",
	})
	if err == nil {
		t.Fatal("want an error")
	}
	lines := strings.Split(err.Error(), "\n")
	for _, want := range []string{
		"MINIAUTH_TOKENS_ACCESS_TTL (tokens.access_ttl)",
		"MINIAUTH_HTTP_BODY_LIMIT (http.body_limit)",
		"MINIAUTH_WECHAT_SECRET (wechat.secret)",
		"MINIAUTH_DB_URL (db.url)",
		"MINIAUTH_REDIS_URL (redis.url)",
		"MINIAUTH_WECHAT_SIMULATOR (wechat.simulator)",
		"MINIAUTH_LOG_LEVEL (log.level)",
		"MINIAUTH_ADMIN_TOKEN (admin.token)",
	} {
		found := false
		for _, line := range lines {
			if strings.HasPrefix(line, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line for %s in:\n%s", want, err)
		}
	}
}

// Opaque access tokens carry sealed claims when a key encryption key is
// at hand (dev mode keeps one) and sealing is on; never with JWTs.
func TestSealedNeedsAKey(t *testing.T) {
	prod := []string{"MINIAUTH_WECHAT_APPID=wx1", "MINIAUTH_WECHAT_SECRET=s"}
	kek := "MINIAUTH_TOKENS_KEY_ENCRYPTION_KEY_FILE=/etc/miniauth/kek"
	for _, tc := range []struct {
		name   string
		env    []string
		sealed bool
	}{
		{"dev mode", nil, true},
		{"dev mode, sealing off", []string{"MINIAUTH_TOKENS_SEAL=false"}, false},
		{"production without a key", prod, false},
		{"production with a key", append([]string{kek}, prod...), true},
		{"production with a key, sealing off", append([]string{kek, "MINIAUTH_TOKENS_SEAL=false"}, prod...), false},
		{"signed tokens", prodJWT, false},
	} {
		cfg, _, err := config.Load("", tc.env)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cfg.Sealed() != tc.sealed {
			t.Errorf("%s: sealed %v, want %v", tc.name, cfg.Sealed(), tc.sealed)
		}
	}
}

// prodJWT is a production configuration with signed tokens.
var prodJWT = []string{"MINIAUTH_WECHAT_APPID=wx1", "MINIAUTH_WECHAT_SECRET=s", "MINIAUTH_TOKENS_FORMAT=jwt",
	"MINIAUTH_TOKENS_ISSUER=https://auth.example.com", "MINIAUTH_TOKENS_KEY_ENCRYPTION_KEY_FILE=/etc/miniauth/kek"}

func TestValidationEdges(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		ok   bool
	}{
		{"body limit at its minimum", []string{"MINIAUTH_HTTP_BODY_LIMIT=1KiB"}, true},
		{"body limit below it", []string{"MINIAUTH_HTTP_BODY_LIMIT=1023"}, false},
		{"access ttl at its minimum", []string{"MINIAUTH_TOKENS_ACCESS_TTL=10s"}, true},
		{"access ttl below it", []string{"MINIAUTH_TOKENS_ACCESS_TTL=9s"}, false},
		{"refresh not longer than access", []string{"MINIAUTH_TOKENS_ACCESS_TTL=1h", "MINIAUTH_TOKENS_REFRESH_TTL=1h"}, false},
		{"rate off", []string{"MINIAUTH_HTTP_AUTH_RATE=0"}, true},
		{"negative rate", []string{"MINIAUTH_HTTP_AUTH_RATE=-1"}, false},
		{"cache off", []string{"MINIAUTH_TOKENS_CACHE_TTL=0s"}, true},
		{"writes committed alone", []string{"MINIAUTH_DB_WRITE_BATCH=1"}, true},
		{"no writes at all", []string{"MINIAUTH_DB_WRITE_BATCH=0"}, false},
		{"write batch at its maximum", []string{"MINIAUTH_DB_WRITE_BATCH=1000"}, true},
		{"write batch above it", []string{"MINIAUTH_DB_WRITE_BATCH=1001"}, false},
		{"writes committed at once", []string{"MINIAUTH_DB_WRITE_DELAY=0s"}, true},
		{"write delay at its maximum", []string{"MINIAUTH_DB_WRITE_DELAY=50ms"}, true},
		{"write delay above it", []string{"MINIAUTH_DB_WRITE_DELAY=51ms"}, false},
		{"a negative write delay", []string{"MINIAUTH_DB_WRITE_DELAY=-1ms"}, false},
		{"lookups sent alone", []string{"MINIAUTH_REDIS_READ_BATCH=1"}, true},
		{"no lookups at all", []string{"MINIAUTH_REDIS_READ_BATCH=0"}, false},
		{"read batch at its maximum", []string{"MINIAUTH_REDIS_READ_BATCH=1000"}, true},
		{"read batch above it", []string{"MINIAUTH_REDIS_READ_BATCH=1001"}, false},
		{"cache ttl at its maximum", []string{"MINIAUTH_TOKENS_CACHE_TTL=1m"}, true},
		{"cache ttl above it", []string{"MINIAUTH_TOKENS_CACHE_TTL=61s"}, false},
		{"profile cache off", []string{"MINIAUTH_TOKENS_PROFILE_TTL=0s"}, true},
		{"profile ttl at its maximum", []string{"MINIAUTH_TOKENS_PROFILE_TTL=1h"}, true},
		{"profile ttl above it", []string{"MINIAUTH_TOKENS_PROFILE_TTL=61m"}, false},
		{"negative profile ttl", []string{"MINIAUTH_TOKENS_PROFILE_TTL=-1s"}, false},
		{"cache of one entry", []string{"MINIAUTH_TOKENS_CACHE_ENTRIES=1"}, true},
		{"cache of no entries", []string{"MINIAUTH_TOKENS_CACHE_ENTRIES=0"}, false},
		{"touch queue of one", []string{"MINIAUTH_TOKENS_TOUCH_QUEUE=1"}, true},
		{"no touch queue", []string{"MINIAUTH_TOKENS_TOUCH_QUEUE=0"}, false},
		{"touch interval at its minimum", []string{"MINIAUTH_TOKENS_TOUCH_INTERVAL=1s"}, true},
		{"touch interval below it", []string{"MINIAUTH_TOKENS_TOUCH_INTERVAL=999ms"}, false},
		{"touch interval at its maximum", []string{"MINIAUTH_TOKENS_TOUCH_INTERVAL=24h"}, true},
		{"touch interval above it", []string{"MINIAUTH_TOKENS_TOUCH_INTERVAL=25h"}, false},
		{"endings read at the shortest interval", []string{"MINIAUTH_TOKENS_ENDINGS_INTERVAL=10ms"}, true},
		{"endings interval below it", []string{"MINIAUTH_TOKENS_ENDINGS_INTERVAL=9ms"}, false},
		{"endings read at the longest interval", []string{"MINIAUTH_TOKENS_ENDINGS_INTERVAL=330ms"}, true},
		{"endings interval above it", []string{"MINIAUTH_TOKENS_ENDINGS_INTERVAL=331ms"}, false},
		{"sealing off", []string{"MINIAUTH_TOKENS_SEAL=false"}, true},
		{"classic tokens", []string{"MINIAUTH_WECHAT_TOKEN_MODE=classic"}, true},
		{"unknown token mode", []string{"MINIAUTH_WECHAT_TOKEN_MODE=fast"}, false},
		{"postgres url", []string{"MINIAUTH_DB_URL=postgres://u:p@127.0.0.1:5432/db"}, true},
		{"mysql url", []string{"MINIAUTH_DB_URL=mysql://u:p@127.0.0.1:3306/db"}, true},
		{"address without port", []string{"MINIAUTH_HTTP_ADDR=localhost"}, false},
		{"one connection", []string{"MINIAUTH_HTTP_MAX_CONNS=1"}, true},
		{"no connections", []string{"MINIAUTH_HTTP_MAX_CONNS=0"}, false},
		{"connections not a number", []string{"MINIAUTH_HTTP_MAX_CONNS=many"}, false},
		{"header timeout", []string{"MINIAUTH_HTTP_READ_HEADER_TIMEOUT=1ms"}, true},
		{"no header timeout", []string{"MINIAUTH_HTTP_READ_HEADER_TIMEOUT=0s"}, false},
		{"idle timeout", []string{"MINIAUTH_HTTP_IDLE_TIMEOUT=1ms"}, true},
		{"no idle timeout", []string{"MINIAUTH_HTTP_IDLE_TIMEOUT=0s"}, false},
		{"jwt in dev mode", []string{"MINIAUTH_TOKENS_FORMAT=jwt"}, true},
		{"unknown token format", []string{"MINIAUTH_TOKENS_FORMAT=paseto"}, false},
		{"jwt in production without issuer", append(prodJWT, "MINIAUTH_TOKENS_ISSUER="), false},
		{"jwt in production without sealing key", append(prodJWT[:3:3], "MINIAUTH_TOKENS_ISSUER=https://auth.example.com"), false},
		{"jwt in production", prodJWT, true},
		{"issuer with a query", []string{"MINIAUTH_TOKENS_ISSUER=https://a.example.com/?x=1"}, false},
		{"both sealing key and its file", []string{"MINIAUTH_TOKENS_KEY_ENCRYPTION_KEY=k", "MINIAUTH_TOKENS_KEY_ENCRYPTION_KEY_FILE=/k"}, false},
		{"ES256", []string{"MINIAUTH_TOKENS_SIGNING_ALG=ES256"}, true},
		{"RS256", []string{"MINIAUTH_TOKENS_SIGNING_ALG=RS256"}, false},
		{"key reload at its minimum", []string{"MINIAUTH_TOKENS_KEY_RELOAD=100ms"}, true},
		{"key reload below it", []string{"MINIAUTH_TOKENS_KEY_RELOAD=99ms"}, false},
		{"jwks max-age at its minimum", []string{"MINIAUTH_TOKENS_JWKS_MAX_AGE=1s"}, true},
		{"jwks max-age below it", []string{"MINIAUTH_TOKENS_JWKS_MAX_AGE=999ms"}, false},
		// Publication delay 1s + 2 × 1s = 3s: the rotation must be longer.
		{"rotation just over the delay", []string{"MINIAUTH_TOKENS_JWKS_MAX_AGE=1s", "MINIAUTH_TOKENS_KEY_RELOAD=1s", "MINIAUTH_TOKENS_KEY_ROTATION=3001ms"}, true},
		{"rotation equal to the delay", []string{"MINIAUTH_TOKENS_JWKS_MAX_AGE=1s", "MINIAUTH_TOKENS_KEY_RELOAD=1s", "MINIAUTH_TOKENS_KEY_ROTATION=3s"}, false},
		{"introspection secret at its minimum", []string{"MINIAUTH_TOKENS_INTROSPECTION_SECRETS=" + strings.Repeat("s", 32) + "," + strings.Repeat("t", 40)}, true},
		{"introspection secret too short", []string{"MINIAUTH_TOKENS_INTROSPECTION_SECRETS=" + strings.Repeat("s", 31)}, false},
		{"reuse leeway off", []string{"MINIAUTH_TOKENS_REFRESH_REUSE_LEEWAY=0s"}, true},
		{"reuse leeway at its maximum", []string{"MINIAUTH_TOKENS_REFRESH_REUSE_LEEWAY=5m"}, true},
		{"reuse leeway past it", []string{"MINIAUTH_TOKENS_REFRESH_REUSE_LEEWAY=5m1s"}, false},
		{"negative reuse leeway", []string{"MINIAUTH_TOKENS_REFRESH_REUSE_LEEWAY=-1s"}, false},
		{"redis without aof allowed", []string{"MINIAUTH_REDIS_REQUIRE_AOF=false"}, true},
		{"clock skew at its maximum", []string{"MINIAUTH_REDIS_CLOCK_SKEW=1m"}, true},
		{"clock skew past it", []string{"MINIAUTH_REDIS_CLOCK_SKEW=61s"}, false},
		{"clock skew zero", []string{"MINIAUTH_REDIS_CLOCK_SKEW=0s"}, false},
		{"redis cluster url", []string{"MINIAUTH_REDIS_URL=redis://h1:7000?addr=h2:7001&addr=h3:7002"}, true},
		{"redis sentinel url", []string{"MINIAUTH_REDIS_URL=redis://s1:26379/0?master_name=m&addr=s2:26379"}, true},
		{"redis address list without scheme", []string{"MINIAUTH_REDIS_URL=h1:7000,h2:7001"}, false},
		{"wait for one replica", []string{"MINIAUTH_REDIS_URL=redis://s1:26379/0?master_name=m", "MINIAUTH_REDIS_WAIT_REPLICAS=1"}, true},
		{"wait for replicas without redis", []string{"MINIAUTH_REDIS_WAIT_REPLICAS=1"}, false},
		{"wait for replicas on a cluster", []string{"MINIAUTH_REDIS_URL=redis://h1:7000?addr=h2:7001", "MINIAUTH_REDIS_WAIT_REPLICAS=1"}, false},
		{"negative wait", []string{"MINIAUTH_REDIS_URL=redis://h:1/0", "MINIAUTH_REDIS_WAIT_REPLICAS=-1"}, false},
		{"wait timeout at its minimum", []string{"MINIAUTH_REDIS_WAIT_TIMEOUT=1ms"}, true},
		{"wait timeout below it", []string{"MINIAUTH_REDIS_WAIT_TIMEOUT=999us"}, false},
		{"wait timeout at its maximum", []string{"MINIAUTH_REDIS_WAIT_TIMEOUT=10s"}, true},
		{"wait timeout above it", []string{"MINIAUTH_REDIS_WAIT_TIMEOUT=10001ms"}, false},
		{"db timeout at its minimum", []string{"MINIAUTH_DB_TIMEOUT=10ms"}, true},
		{"db timeout below it", []string{"MINIAUTH_DB_TIMEOUT=9ms"}, false},
		{"db timeout at its maximum", []string{"MINIAUTH_DB_TIMEOUT=1m"}, true},
		{"db timeout past it", []string{"MINIAUTH_DB_TIMEOUT=61s"}, false},
		{"redis timeout at its minimum", []string{"MINIAUTH_REDIS_TIMEOUT=10ms"}, true},
		{"redis timeout below it", []string{"MINIAUTH_REDIS_TIMEOUT=0s"}, false},
		{"redis timeout at its maximum", []string{"MINIAUTH_REDIS_TIMEOUT=1m"}, true},
		{"redis timeout past it", []string{"MINIAUTH_REDIS_TIMEOUT=2m"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := config.Load("", tt.env)
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestUnknownFileKeyAndUnknownVariable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "miniauth.toml")
	if err := os.WriteFile(path, []byte("[http]\nadress = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := config.Load(path, nil)
	if err == nil || !strings.Contains(err.Error(), "unknown key http.adress") {
		t.Errorf("err = %v", err)
	}
	_, warnings, err := config.Load("", []string{"MINIAUTH_HTTP_ADRESS=x"})
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "MINIAUTH_HTTP_ADRESS") {
		t.Errorf("err %v warnings %v", err, warnings)
	}
}
