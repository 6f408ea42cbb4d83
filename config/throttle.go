package config

import (
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/inmem"
)

// Throttle limits failed logins and refreshes (miniauth.ThrottleLimits):
// shared by the nodes through Redis when it is configured, in this node's
// memory otherwise. A failures setting of 0 turns its limit off.
type Throttle struct {
	IPFailures     int      `toml:"ip_failures"`     // per client IP (IPv6: per /64) within ip_window
	IPWindow       Duration `toml:"ip_window"`       //
	OpenIDFailures int      `toml:"openid_failures"` // per openid within openid_window
	OpenIDWindow   Duration `toml:"openid_window"`   //
	MemoryKeys     int      `toml:"memory_keys"`     // addresses and openids tracked without Redis
}

func defaultThrottle() Throttle {
	return Throttle{
		IPFailures:     miniauth.DefaultThrottleIPFailures,
		IPWindow:       Duration{miniauth.DefaultThrottleIPWindow},
		OpenIDFailures: miniauth.DefaultThrottleOpenIDFailures,
		OpenIDWindow:   Duration{miniauth.DefaultThrottleOpenIDWindow},
		MemoryKeys:     inmem.DefaultFailureKeys,
	}
}

// Limits are the configured limits for the service.
func (t Throttle) Limits() miniauth.ThrottleLimits {
	return miniauth.ThrottleLimits{
		IPFailures:     t.IPFailures,
		IPWindow:       t.IPWindow.Duration,
		OpenIDFailures: t.OpenIDFailures,
		OpenIDWindow:   t.OpenIDWindow.Duration,
	}
}

// Bounds of the throttle's settings: a window under a second cannot be said
// in Retry-After, and one over a day locks a network out for longer than any
// attack is worth.
const (
	minThrottleWindow = time.Second
	maxThrottleWindow = 24 * time.Hour
	minMemoryKeys     = 100
)

func (t Throttle) validate(bad problemFunc) {
	limits := []struct {
		failuresKey, windowKey string
		failures               int
		window                 time.Duration
	}{
		{"throttle.ip_failures", "throttle.ip_window", t.IPFailures, t.IPWindow.Duration},
		{"throttle.openid_failures", "throttle.openid_window", t.OpenIDFailures, t.OpenIDWindow.Duration},
	}
	for _, l := range limits {
		if l.failures < 0 {
			bad(l.failuresKey, "must not be negative (0 turns the limit off)")
		}
		if l.window < minThrottleWindow || l.window > maxThrottleWindow {
			bad(l.windowKey, "must be between %v and %v", minThrottleWindow, maxThrottleWindow)
		}
	}
	if t.MemoryKeys < minMemoryKeys {
		bad("throttle.memory_keys", "must be at least %d", minMemoryKeys)
	}
}
