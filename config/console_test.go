package config_test

import (
	"strings"
	"testing"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/argon2id"
	"github.com/miniauth/miniauth/config"
)

func TestConsoleDefaultsAreTheNamedConstants(t *testing.T) {
	cfg := loadDefaults(t)
	c := cfg.Console
	if c.SessionTTL.Duration != miniauth.DefaultConsoleSessionTTL || c.MaxFailures != miniauth.DefaultConsoleMaxFailures ||
		c.Lockout.Duration != miniauth.DefaultConsoleLockout || c.PasswordParams() != argon2id.DefaultParams {
		t.Errorf("console defaults %+v", c)
	}
	if cfg.SecureCookies() {
		t.Error("Secure cookies without http.public_url")
	}
}

func TestConsoleEdges(t *testing.T) {
	for _, tc := range []struct {
		env string
		ok  bool
	}{
		{"MINIAUTH_CONSOLE_SESSION_TTL=1m", true},
		{"MINIAUTH_CONSOLE_SESSION_TTL=59s", false},
		{"MINIAUTH_CONSOLE_SESSION_TTL=720h", true},
		{"MINIAUTH_CONSOLE_SESSION_TTL=721h", false},
		{"MINIAUTH_CONSOLE_MAX_FAILURES=1", true},
		{"MINIAUTH_CONSOLE_MAX_FAILURES=0", false},
		{"MINIAUTH_CONSOLE_MAX_FAILURES=101", false},
		{"MINIAUTH_CONSOLE_LOCKOUT=1s", true},
		{"MINIAUTH_CONSOLE_LOCKOUT=999ms", false},
		{"MINIAUTH_CONSOLE_LOCKOUT=25h", false},
		{"MINIAUTH_CONSOLE_PASSWORD_MEMORY=8KiB", true},
		{"MINIAUTH_CONSOLE_PASSWORD_MEMORY=4KiB", false},
		{"MINIAUTH_CONSOLE_PASSWORD_MEMORY=2GiB", false},
		{"MINIAUTH_CONSOLE_PASSWORD_PASSES=16", true},
		{"MINIAUTH_CONSOLE_PASSWORD_PASSES=17", false},
		{"MINIAUTH_HTTP_PUBLIC_URL=https://auth.example.com", true},
		{"MINIAUTH_HTTP_PUBLIC_URL=auth.example.com", false},
	} {
		_, _, err := config.Load("", []string{tc.env})
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.env, err)
		}
		key := strings.ToLower(strings.TrimPrefix(strings.SplitN(tc.env, "=", 2)[0], "MINIAUTH_"))
		if err != nil && !strings.Contains(err.Error(), "MINIAUTH_") {
			t.Errorf("%s: the error does not name the variable (%s): %v", tc.env, key, err)
		}
	}
	cfg, _, _ := config.Load("", []string{"MINIAUTH_HTTP_PUBLIC_URL=https://auth.example.com"})
	if !cfg.SecureCookies() {
		t.Error("no Secure cookies behind https")
	}
}
