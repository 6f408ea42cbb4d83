package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/inmem"
)

func TestThrottleDefaultsAreTheNamedConstants(t *testing.T) {
	cfg, _, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := miniauth.ThrottleLimits{
		IPFailures:     miniauth.DefaultThrottleIPFailures,
		IPWindow:       miniauth.DefaultThrottleIPWindow,
		OpenIDFailures: miniauth.DefaultThrottleOpenIDFailures,
		OpenIDWindow:   miniauth.DefaultThrottleOpenIDWindow,
	}
	if got := cfg.Throttle.Limits(); got != want {
		t.Errorf("limits %+v, want %+v", got, want)
	}
	if cfg.Throttle.MemoryKeys != inmem.DefaultFailureKeys {
		t.Errorf("memory_keys %d", cfg.Throttle.MemoryKeys)
	}
}

func TestThrottleFromFileAndEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "miniauth.toml")
	if err := os.WriteFile(path, []byte("[throttle]\nip_failures = 7\nopenid_window = \"1h\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, warnings, err := config.Load(path, []string{
		"MINIAUTH_THROTTLE_IP_WINDOW=90s",
		"MINIAUTH_THROTTLE_OPENID_FAILURES=0",
		"MINIAUTH_THROTTLE_MEMORY_KEYS=1000",
	})
	if err != nil || len(warnings) > 0 {
		t.Fatalf("err %v, warnings %v", err, warnings)
	}
	want := miniauth.ThrottleLimits{IPFailures: 7, IPWindow: 90 * time.Second, OpenIDFailures: 0, OpenIDWindow: time.Hour}
	if got := cfg.Throttle.Limits(); got != want || cfg.Throttle.MemoryKeys != 1000 {
		t.Errorf("limits %+v (memory_keys %d), want %+v", got, cfg.Throttle.MemoryKeys, want)
	}
}

func TestThrottleSettingsAtTheirEdges(t *testing.T) {
	tests := []struct {
		env     string
		problem string // "" when accepted
	}{
		{"MINIAUTH_THROTTLE_IP_FAILURES=0", ""},
		{"MINIAUTH_THROTTLE_IP_FAILURES=-1", "MINIAUTH_THROTTLE_IP_FAILURES (throttle.ip_failures): must not be negative"},
		{"MINIAUTH_THROTTLE_OPENID_FAILURES=-1", "MINIAUTH_THROTTLE_OPENID_FAILURES (throttle.openid_failures): must not be negative"},
		{"MINIAUTH_THROTTLE_IP_FAILURES=many", "MINIAUTH_THROTTLE_IP_FAILURES (throttle.ip_failures): \"many\" is not a whole number"},
		{"MINIAUTH_THROTTLE_IP_WINDOW=1s", ""},
		{"MINIAUTH_THROTTLE_IP_WINDOW=999ms", "MINIAUTH_THROTTLE_IP_WINDOW (throttle.ip_window): must be between 1s and 24h0m0s"},
		{"MINIAUTH_THROTTLE_OPENID_WINDOW=24h", ""},
		{"MINIAUTH_THROTTLE_OPENID_WINDOW=24h0m1s", "MINIAUTH_THROTTLE_OPENID_WINDOW (throttle.openid_window): must be between"},
		{"MINIAUTH_THROTTLE_MEMORY_KEYS=100", ""},
		{"MINIAUTH_THROTTLE_MEMORY_KEYS=99", "MINIAUTH_THROTTLE_MEMORY_KEYS (throttle.memory_keys): must be at least 100"},
	}
	for _, tt := range tests {
		_, _, err := config.Load("", []string{tt.env})
		switch {
		case tt.problem == "" && err != nil:
			t.Errorf("%s refused: %v", tt.env, err)
		case tt.problem != "" && (err == nil || !strings.Contains(err.Error(), tt.problem)):
			t.Errorf("%s: error %v, want %q", tt.env, err, tt.problem)
		}
	}
}
