package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Validation: one line per mistake, naming the key and its variable.

// problems collects the mistakes found, in the order they are checked.
type problems []string

// bad records one mistake of the key.
func (p *problems) bad(key, format string, args ...any) {
	*p = append(*p, fmt.Sprintf("%s (%s): %s", envName(key), key, fmt.Sprintf(format, args...)))
}

func (c Config) validate() []string {
	var p problems
	c.HTTP.validate(p.bad)
	c.validateStores(p.bad)
	c.WeChat.validateCredentials(p.bad)
	p = append(p, c.validateApps()...)
	c.validateConsole(p.bad)
	c.WeChat.validate(p.bad)
	c.validateTokens(p.bad)
	if c.Redis.ClockSkew.Duration <= 0 || c.Redis.ClockSkew.Duration > maxClockSkew {
		p.bad("redis.clock_skew", "must be positive and at most %v", maxClockSkew)
	}
	if c.Admin.Token != "" && len(c.Admin.Token) < 32 {
		p.bad("admin.token", "must be at least 32 characters")
	}
	c.Log.validate(p.bad)
	c.Throttle.validate(p.bad)
	c.validateProfile(p.bad)
	c.WebLogin.validate(p.bad)
	c.Events.validate(p.bad)
	c.Debug.validate(p.bad)
	return p
}

// problemFunc records a mistake of a key: see problems.bad.
type problemFunc = func(key, format string, args ...any)

func (h HTTP) validate(bad problemFunc) {
	if h.Addr == "" {
		bad("http.addr", "must not be empty")
	} else if _, _, err := splitHostPort(h.Addr); err != nil {
		bad("http.addr", "%q is not host:port", h.Addr)
	}
	if h.BodyLimit < 1024 {
		bad("http.body_limit", "must be at least 1KiB")
	}
	if h.ShutdownTimeout.Duration <= 0 {
		bad("http.shutdown_timeout", "must be positive")
	}
	if h.AuthRate < 0 {
		bad("http.auth_rate", "must not be negative (0 turns the limit off)")
	}
	if h.AuthRate > 0 && h.AuthBurst < 1 {
		bad("http.auth_burst", "must be at least 1 while http.auth_rate is set")
	}
	if h.MaxConns < 1 {
		bad("http.max_conns", "must be at least 1")
	}
	if h.ReadHeaderTimeout.Duration <= 0 {
		bad("http.read_header_timeout", "must be positive")
	}
	if h.IdleTimeout.Duration <= 0 {
		bad("http.idle_timeout", "must be positive")
	}
}

// validateStores checks the data directory, the database and Redis.
func (c Config) validateStores(bad problemFunc) {
	if c.Data.Dir == "" {
		bad("data.dir", "must not be empty")
	}
	if c.DB.URL != "" {
		if u, err := url.Parse(c.DB.URL); err != nil || !oneOf(u.Scheme, "sqlite", "postgres", "postgresql", "mysql") {
			bad("db.url", "must start with sqlite://, postgres:// or mysql://")
		}
	}
	if d := c.DB.Timeout.Duration; d < minStoreTimeout || d > maxStoreTimeout {
		bad("db.timeout", "must be between %v and %v", minStoreTimeout, maxStoreTimeout)
	}
	if c.DB.WriteBatch < 1 || c.DB.WriteBatch > maxWriteBatch {
		bad("db.write_batch", "must be between 1 and %d", maxWriteBatch)
	}
	if c.DB.WriteDelay.Duration < 0 || c.DB.WriteDelay.Duration > maxWriteDelay {
		bad("db.write_delay", "must be between 0 and %s", maxWriteDelay)
	}
	c.Redis.validate(bad)
}

func (r Redis) validate(bad problemFunc) {
	if d := r.Timeout.Duration; d < minStoreTimeout || d > maxStoreTimeout {
		bad("redis.timeout", "must be between %v and %v", minStoreTimeout, maxStoreTimeout)
	}
	if r.ReadBatch < 1 || r.ReadBatch > maxReadBatch {
		bad("redis.read_batch", "must be between 1 and %d", maxReadBatch)
	}
	if r.URL != "" {
		// The redis package checks the rest when it connects.
		if u, err := url.Parse(r.URL); err != nil || !oneOf(u.Scheme, "redis", "rediss") || u.Host == "" {
			bad("redis.url", "must look like redis://host:port/db, redis://host1:port1?addr=host2:port2 (Redis Cluster) or redis://sentinel:port/db?master_name=name (Sentinel)")
		} else if r.WaitReplicas > 0 && (u.Query().Has("addr") || u.Query().Has("cluster")) && !u.Query().Has("master_name") {
			bad("redis.wait_replicas", "is not supported with Redis Cluster")
		}
	}
	if r.WaitReplicas < 0 {
		bad("redis.wait_replicas", "must not be negative (0 does not wait)")
	}
	if r.WaitReplicas > 0 && r.URL == "" {
		bad("redis.wait_replicas", "needs redis.url")
	}
	if r.WaitTimeout.Duration < time.Millisecond || r.WaitTimeout.Duration > 10*time.Second {
		bad("redis.wait_timeout", "must be between 1ms and 10s")
	}
}

// validateCredentials checks that wechat.appid and wechat.secret come
// together.
func (w WeChat) validateCredentials(bad problemFunc) {
	if w.AppID != "" && w.Secret == "" {
		bad("wechat.secret", "is required when wechat.appid is set")
	}
	if w.Secret != "" && w.AppID == "" {
		bad("wechat.appid", "is required when wechat.secret is set")
	}
}

func (w WeChat) validate(bad problemFunc) {
	if u, err := url.Parse(w.BaseURL); err != nil || !oneOf(u.Scheme, "http", "https") || u.Host == "" {
		bad("wechat.base_url", "must be an http(s) URL")
	}
	if w.Timeout.Duration <= 0 {
		bad("wechat.timeout", "must be positive")
	}
	if !oneOf(w.TokenMode, "stable", "classic") {
		bad("wechat.token_mode", "must be stable or classic")
	}
}

// validateTokens checks the tokens.* keys.
// maxEndingsInterval keeps three intervals under a second.
const maxEndingsInterval = 330 * time.Millisecond

func (c Config) validateTokens(bad problemFunc) {
	t := c.Tokens
	if t.AccessTTL.Duration < 10*time.Second {
		bad("tokens.access_ttl", "must be at least 10s")
	}
	if t.RefreshTTL.Duration <= t.AccessTTL.Duration {
		bad("tokens.refresh_ttl", "must be longer than tokens.access_ttl")
	}
	if t.CacheTTL.Duration < 0 || t.CacheTTL.Duration > time.Minute {
		bad("tokens.cache_ttl", "must be between 0 and 1m")
	}
	if t.ProfileTTL.Duration < 0 || t.ProfileTTL.Duration > time.Hour {
		bad("tokens.profile_ttl", "must be between 0 and 1h")
	}
	if t.CacheEntries < 1 {
		bad("tokens.cache_entries", "must be at least 1")
	}
	if t.TouchQueue < 1 {
		bad("tokens.touch_queue", "must be at least 1")
	}
	if t.TouchInterval.Duration < time.Second || t.TouchInterval.Duration > 24*time.Hour {
		bad("tokens.touch_interval", "must be between 1s and 24h")
	}
	// Three intervals bound how stale a node's copy of the feed may be: a
	// logout must reach every node within a second.
	if d := t.EndingsInterval.Duration; d < 10*time.Millisecond || d > maxEndingsInterval {
		bad("tokens.endings_interval", "must be between 10ms and %v", maxEndingsInterval)
	}
	c.validateSigning(bad)
	if t.RefreshReuseLeeway.Duration < 0 || t.RefreshReuseLeeway.Duration > maxRefreshReuseLeeway {
		bad("tokens.refresh_reuse_leeway", "must be between 0 and %v", maxRefreshReuseLeeway)
	}
}

func (l Log) validate(bad problemFunc) {
	if !oneOf(l.Level, "debug", "info", "warn", "error") {
		bad("log.level", "must be debug, info, warn or error")
	}
	if !oneOf(l.Format, "json", "text") {
		bad("log.format", "must be json or text")
	}
}

// Bounds of the settings above. A reuse leeway is a grace for a client
// racing itself, not a second lifetime of the token; a clock skew past a
// minute is a broken clock, not a margin.
const (
	maxRefreshReuseLeeway = 5 * time.Minute
	maxClockSkew          = time.Minute
)

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

// validateSigning checks the tokens.* keys of signed tokens and
// introspection.
func (c Config) validateSigning(bad problemFunc) {
	t := c.Tokens
	if !oneOf(t.Format, "opaque", "jwt") {
		bad("tokens.format", "must be opaque or jwt")
	}
	if t.Issuer != "" {
		if u, err := url.Parse(t.Issuer); err != nil || !oneOf(u.Scheme, "http", "https") || u.Host == "" ||
			u.RawQuery != "" || u.Fragment != "" {
			bad("tokens.issuer", "must be an http(s) URL without query or fragment")
		}
	} else if t.JWT() && !c.DevMode() {
		bad("tokens.issuer", "is required with tokens.format = jwt (the public URL of miniauth, the same on every node)")
	}
	if !oneOf(t.SigningAlg, "EdDSA", "ES256") {
		bad("tokens.signing_alg", "must be EdDSA or ES256")
	}
	if t.KeyReload.Duration < 100*time.Millisecond || t.KeyReload.Duration > time.Hour {
		bad("tokens.key_reload", "must be between 100ms and 1h")
	}
	if t.JWKSMaxAge.Duration < time.Second || t.JWKSMaxAge.Duration > 24*time.Hour {
		bad("tokens.jwks_max_age", "must be between 1s and 24h")
	}
	if delay := t.JWKSMaxAge.Duration + 2*t.KeyReload.Duration; t.KeyRotation.Duration <= delay {
		bad("tokens.key_rotation", "must be longer than tokens.jwks_max_age + 2 × tokens.key_reload (%v), the time a new key is published before it signs", delay)
	}
	if t.KeyEncryptionKey != "" && t.KeyEncryptionKeyFile != "" {
		bad("tokens.key_encryption_key", "set it or tokens.key_encryption_key_file, not both")
	} else if t.JWT() && !c.DevMode() && t.KeyEncryptionKey == "" && t.KeyEncryptionKeyFile == "" {
		bad("tokens.key_encryption_key", "is required with tokens.format = jwt (or tokens.key_encryption_key_file): it seals the signing keys in the database")
	}
	for _, secret := range t.IntrospectionSecrets {
		if len(secret) < 32 {
			bad("tokens.introspection_secrets", "each secret must be at least 32 characters")
			break
		}
	}
}
