package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/miniauth/miniauth/config"
)

// checkProblems checks the loader's promise for any input: no panic, and
// every line of an error names what is wrong, a variable with its key or
// the file.
func checkProblems(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "MINIAUTH_") && !strings.HasPrefix(line, "config file ") && !strings.HasPrefix(line, "wechat.apps") {
			t.Fatalf("error line %q names no key; the whole error:\n%v", line, err)
		}
	}
}

// Any TOML file either loads into a configuration that passes validation
// again, or is refused with lines that name the file or the key.
func FuzzLoadFile(f *testing.F) {
	for _, seed := range []string{
		"[http]\naddr = \"0.0.0.0:9000\"\nbody_limit = \"128KiB\"\n",
		"[db]\nurl = \"postgres://u:p@h:5432/d\"\ntimeout = \"3s\"\n[redis]\ntimeout = \"1s\"\n",
		"[[wechat.apps]]\nappid = \"wx1\"\nsecret = \"s\"\n[[wechat.apps]]\nappid = \"wx1\"\n",
		"[tokens]\naccess_ttl = \"soon\"\n", "[http]\nadress = 1\n", "not toml", "[http]\nbody_limit = -1\n",
		"[wechat]\ntimeout = 5\n", "[log]\nlevel = [1, 2]\n",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := os.CreateTemp(dir, "*.toml")
		if err != nil {
			t.Fatal(err)
		}
		defer os.Remove(file.Name())
		if _, err := file.Write(data); err != nil {
			t.Fatal(err)
		}
		file.Close()
		cfg, _, err := config.Load(file.Name(), nil)
		checkProblems(t, err)
		if err == nil {
			reloadAsEnvironment(t, cfg)
		}
	})
}

// reloadAsEnvironment checks that a configuration that loaded is valid by
// the same rules when given as variables (the single-app form only: lists
// of apps have no variables).
func reloadAsEnvironment(t *testing.T, cfg config.Config) {
	t.Helper()
	if len(cfg.WeChat.Apps) > 0 || strings.ContainsAny(cfg.HTTP.Addr, "\x00") {
		return
	}
	env := []string{
		"MINIAUTH_HTTP_ADDR=" + cfg.HTTP.Addr,
		"MINIAUTH_DB_TIMEOUT=" + cfg.DB.Timeout.String(),
		"MINIAUTH_REDIS_TIMEOUT=" + cfg.Redis.Timeout.String(),
		"MINIAUTH_TOKENS_ACCESS_TTL=" + cfg.Tokens.AccessTTL.String(),
		"MINIAUTH_TOKENS_REFRESH_TTL=" + cfg.Tokens.RefreshTTL.String(),
	}
	if _, _, err := config.Load("", env); err != nil {
		t.Fatalf("the file's values, valid there, are refused as variables: %v", err)
	}
}

// fuzzKeys are the variables FuzzLoadEnvironment sets, one of each kind.
var fuzzKeys = []string{
	"MINIAUTH_HTTP_ADDR", "MINIAUTH_HTTP_BODY_LIMIT", "MINIAUTH_HTTP_SHUTDOWN_TIMEOUT",
	"MINIAUTH_HTTP_TRUSTED_PROXIES", "MINIAUTH_HTTP_AUTH_RATE", "MINIAUTH_HTTP_AUTH_BURST",
	"MINIAUTH_DB_URL", "MINIAUTH_DB_TIMEOUT", "MINIAUTH_REDIS_URL", "MINIAUTH_REDIS_TIMEOUT",
	"MINIAUTH_WECHAT_APPID", "MINIAUTH_WECHAT_BASE_URL", "MINIAUTH_WECHAT_SIMULATOR",
	"MINIAUTH_TOKENS_CACHE_TTL", "MINIAUTH_ADMIN_TOKEN", "MINIAUTH_LOG_LEVEL",
}

// Any value of any variable either loads or is refused with lines that
// name the variable and its key.
func FuzzLoadEnvironment(f *testing.F) {
	for i, seed := range []string{"127.0.0.1:0", "64KiB", "15s", "10.0.0.1, 10.0.0.2", "2.5", "20",
		"postgres://u:p@h/db", "2s", "redis://h:6379/0", "61s", "wx1", "http://[::1]:9", "maybe", "0s", "short", "loud"} {
		f.Add(uint8(i), seed)
	}
	f.Fuzz(func(t *testing.T, key uint8, value string) {
		name := fuzzKeys[int(key)%len(fuzzKeys)]
		_, _, err := config.Load("", []string{name + "=" + value})
		checkProblems(t, err)
	})
}
