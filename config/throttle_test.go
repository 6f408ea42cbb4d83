package config_test

import (
	"testing"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/inmem"
)

func TestThrottleDefaultsAreTheNamedConstants(t *testing.T) {
	cfg := loadDefaults(t)
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
	cfg := loadClean(t, "[throttle]\nip_failures = 7\nopenid_window = \"1h\"\n",
		"MINIAUTH_THROTTLE_IP_WINDOW=90s",
		"MINIAUTH_THROTTLE_OPENID_FAILURES=0",
		"MINIAUTH_THROTTLE_MEMORY_KEYS=1000",
	)
	want := miniauth.ThrottleLimits{IPFailures: 7, IPWindow: 90 * time.Second, OpenIDFailures: 0, OpenIDWindow: time.Hour}
	if got := cfg.Throttle.Limits(); got != want || cfg.Throttle.MemoryKeys != 1000 {
		t.Errorf("limits %+v (memory_keys %d), want %+v", got, cfg.Throttle.MemoryKeys, want)
	}
}

func TestThrottleSettingsAtTheirEdges(t *testing.T) {
	checkEdges(t, []edge{
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
	})
}
