package config

import (
	"fmt"
	"net/url"
	"time"

	"github.com/miniauth/miniauth"
)

// Console configures the operators' console at /admin/ (served once an
// operator exists: miniauth operator add NAME).
type Console struct {
	SessionTTL  Duration `toml:"session_ttl"`  // how long a sign-in lasts
	MaxFailures int      `toml:"max_failures"` // failed sign-ins of one operator within lockout that lock it
	Lockout     Duration `toml:"lockout"`      // the window of those failures, and how long the lock lasts
}

// Bounds of the console's settings.
const (
	minConsoleSessionTTL = time.Minute
	maxConsoleSessionTTL = 30 * 24 * time.Hour
	minConsoleLockout    = time.Second
	maxConsoleLockout    = 24 * time.Hour
	maxConsoleFailures   = 100
)

func defaultConsole() Console {
	return Console{
		SessionTTL:  Duration{miniauth.DefaultConsoleSessionTTL},
		MaxFailures: miniauth.DefaultConsoleMaxFailures,
		Lockout:     Duration{miniauth.DefaultConsoleLockout},
	}
}

// SecureCookies reports whether http.public_url is https, so that the
// console's cookies are sent over TLS only.
func (c Config) SecureCookies() bool {
	u, err := url.Parse(c.HTTP.PublicURL)
	return err == nil && u.Scheme == "https"
}

func (c Config) validateConsole() []string {
	var p []string
	bad := func(key, format string, args ...any) {
		p = append(p, fmt.Sprintf("%s (%s): %s", envName(key), key, fmt.Sprintf(format, args...)))
	}
	if c.HTTP.PublicURL != "" {
		if u, err := url.Parse(c.HTTP.PublicURL); err != nil || !oneOf(u.Scheme, "http", "https") || u.Host == "" {
			bad("http.public_url", "must be an http:// or https:// URL, e.g. https://auth.example.com")
		}
	}
	if d := c.Console.SessionTTL.Duration; d < minConsoleSessionTTL || d > maxConsoleSessionTTL {
		bad("console.session_ttl", "must be between %v and %v", minConsoleSessionTTL, maxConsoleSessionTTL)
	}
	if n := c.Console.MaxFailures; n < 1 || n > maxConsoleFailures {
		bad("console.max_failures", "must be between 1 and %d", maxConsoleFailures)
	}
	if d := c.Console.Lockout.Duration; d < minConsoleLockout || d > maxConsoleLockout {
		bad("console.lockout", "must be between %v and %v", minConsoleLockout, maxConsoleLockout)
	}
	return p
}
