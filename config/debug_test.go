package config_test

import (
	"testing"

	"github.com/miniauth/miniauth/config"
)

func TestDebugListenerIsOffByDefault(t *testing.T) {
	if cfg := loadDefaults(t); cfg.Debug.Addr != "" {
		t.Errorf("debug.addr defaults to %q", cfg.Debug.Addr)
	}
}

func TestDebugListenerFromEnvironment(t *testing.T) {
	cfg, _, err := config.Load("", []string{"MINIAUTH_DEBUG_ADDR=127.0.0.1:6060"})
	if err != nil || cfg.Debug.Addr != "127.0.0.1:6060" {
		t.Fatalf("addr %q, err %v", cfg.Debug.Addr, err)
	}
}

func TestDebugListenerOnlyOnLoopback(t *testing.T) {
	checkEdges(t, []edge{
		{"MINIAUTH_DEBUG_ADDR=", ""},
		{"MINIAUTH_DEBUG_ADDR=127.0.0.1:0", ""},
		{"MINIAUTH_DEBUG_ADDR=127.0.0.2:6060", ""},
		{"MINIAUTH_DEBUG_ADDR=[::1]:6060", ""},
		{"MINIAUTH_DEBUG_ADDR=localhost:65535", ""},
		{"MINIAUTH_DEBUG_ADDR=localhost:65536", "(debug.addr)"},
		{"MINIAUTH_DEBUG_ADDR=:6060", "(debug.addr)"},
		{"MINIAUTH_DEBUG_ADDR=0.0.0.0:6060", "(debug.addr)"},
		{"MINIAUTH_DEBUG_ADDR=[::]:6060", "(debug.addr)"},
		{"MINIAUTH_DEBUG_ADDR=10.0.0.5:6060", "(debug.addr)"},
		{"MINIAUTH_DEBUG_ADDR=example.com:6060", "(debug.addr)"},
		{"MINIAUTH_DEBUG_ADDR=127.0.0.1", "(debug.addr)"},
		{"MINIAUTH_DEBUG_ADDR=127.0.0.1:http", "(debug.addr)"},
	})
}
