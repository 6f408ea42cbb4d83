package config

import (
	"net/url"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/argon2id"
)

// Console configures the operators' console at /admin/ (served once an
// operator exists: miniauth operator add NAME).
type Console struct {
	SessionTTL  Duration `toml:"session_ttl"`  // how long a sign-in lasts
	MaxFailures int      `toml:"max_failures"` // failed sign-ins of one operator within lockout that lock it
	Lockout     Duration `toml:"lockout"`      // the window of those failures, and how long the lock lasts
	// The cost of argon2id for new password hashes (existing hashes keep
	// theirs): memory and passes.
	PasswordMemory ByteSize `toml:"password_memory"`
	PasswordPasses int      `toml:"password_passes"`
}

// Bounds of the console's settings.
const (
	minConsoleSessionTTL = time.Minute
	maxConsoleSessionTTL = 30 * 24 * time.Hour
	minConsoleLockout    = time.Second
	maxConsoleLockout    = 24 * time.Hour
	maxConsoleFailures   = 100
	// Below 8 KiB argon2 is hardly memory-hard (tests use it to stay
	// fast); past 1 GiB one sign-in would take a small server's memory.
	minPasswordMemory = 8 << 10
	maxPasswordMemory = 1 << 30
	maxPasswordPasses = 16
)

func defaultConsole() Console {
	return Console{
		SessionTTL:  Duration{miniauth.DefaultConsoleSessionTTL},
		MaxFailures: miniauth.DefaultConsoleMaxFailures,
		Lockout:     Duration{miniauth.DefaultConsoleLockout},

		PasswordMemory: ByteSize(argon2id.DefaultParams.MemoryKiB) << 10,
		PasswordPasses: int(argon2id.DefaultParams.Time),
	}
}

// SecureCookies reports whether http.public_url is https, so that the
// console's cookies are sent over TLS only.
func (c Config) SecureCookies() bool {
	u, err := url.Parse(c.HTTP.PublicURL)
	return err == nil && u.Scheme == "https"
}

func (c Config) validateConsole(bad problemFunc) {
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
	if m := c.Console.PasswordMemory; m < minPasswordMemory || m > maxPasswordMemory {
		bad("console.password_memory", "must be between 8KiB and 1GiB")
	}
	if n := c.Console.PasswordPasses; n < 1 || n > maxPasswordPasses {
		bad("console.password_passes", "must be between 1 and %d", maxPasswordPasses)
	}
}

// PasswordParams are the argon2id parameters of new operator passwords.
func (c Console) PasswordParams() argon2id.Params {
	p := argon2id.DefaultParams
	p.MemoryKiB = uint32(c.PasswordMemory >> 10)
	p.Time = uint32(c.PasswordPasses)
	return p
}
